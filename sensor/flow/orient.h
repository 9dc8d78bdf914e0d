/* Which endpoint of a new flow is its client. */
#ifndef VIGIE_ORIENT_H
#define VIGIE_ORIENT_H

#include <stdint.h>

#include "decode/packet.h"

/* 1 when the sender of a flow's first packet is its server: a SYN-ACK
 * (the capture started mid-handshake), an ICMP echo reply, or, for a flow
 * picked up midstream (TCP without a SYN, UDP), a payload that starts with
 * a server's message (a DCE-RPC response or bind_ack, an SMB response, an
 * HTTP status line, a TLS ServerHello or Certificate), else a packet sent
 * from a port servers listen on to one they do not, as Zeek flips a
 * connection by its likely_server_ports. Otherwise the first sender is the
 * client. */
int orient_first_is_server(const struct packet *pkt);

/* A port servers of the services seen on municipal networks listen on
 * (Windows and directory, mail, web, files, databases, remote access). */
int orient_server_port(uint16_t port);

#endif
