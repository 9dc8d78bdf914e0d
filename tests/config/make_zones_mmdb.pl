#!/usr/bin/env perl
# Writes the small zones MMDB that tests/unit/test_zones_config.c looks
# up: make_zones_mmdb.pl OUT.mmdb. Exits 2 when MaxMind::DB::Writer (Debian:
# libmaxmind-db-writer-perl) is missing, so the test can skip cleanly.
use strict;
use warnings;

eval { require MaxMind::DB::Writer::Tree; 1 } or exit 2;

my $out = shift or die "usage: $0 OUT.mmdb\n";
my %types = (zone => 'utf8_string', info => 'map', num => 'uint32');
my $tree = MaxMind::DB::Writer::Tree->new(
    ip_version               => 6,
    record_size              => 24,
    database_type            => 'vigie-zones-test',
    languages                => ['en'],
    description              => { en => 'vigie zones test database' },
    map_key_type_callback    => sub { $types{ $_[0] } },
    alias_ipv6_to_ipv4       => 1,   # IPv4 lookups land in ::/96
    remove_reserved_networks => 0,   # the test networks are private space
);

# Disjoint networks: a nested one would split its parent in the tree, and
# lookups report the split pieces' (longer) prefixes.
my @networks = (
    [ '10.10.0.0/16',   { zone => 'mmdb-campus', info => { zone => 'nested-name' } } ],
    [ '10.11.0.128/25', { zone => 'mmdb-lab' } ],
    [ '10.20.0.0/24',   { zone => 'agglo-servers' } ],
    [ '10.40.0.0/16',   { zone => 'tie-mmdb' } ],
    [ '10.30.0.0/16',   { num  => 12345 } ],
    [ 'fd00:99::/32',   { zone => 'mmdb-v6' } ],
);
# 300 distinct names, more than the sensor gives ids to.
for my $i (0 .. 299) {
    my $net = sprintf('10.%d.%d.0/24', 100 + int($i / 256), $i % 256);
    push @networks, [ $net, { zone => "dyn-$i" } ];
}
$tree->insert_network(@$_) for @networks;

open my $fh, '>:raw', $out or die "$out: $!\n";
$tree->write_tree($fh);
close $fh or die "$out: $!\n";
