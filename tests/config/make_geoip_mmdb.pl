#!/usr/bin/env perl
# Writes small country and ASN databases in the GeoLite2 layouts for the
# GeoIP tests: make_geoip_mmdb.pl COUNTRY.mmdb ASN.mmdb. Exits 2 when
# MaxMind::DB::Writer (Debian: libmaxmind-db-writer-perl) is missing.
use strict;
use warnings;

eval { require MaxMind::DB::Writer::Tree; 1 } or exit 2;
my ($country_out, $asn_out) = @ARGV;
die "usage: $0 COUNTRY.mmdb ASN.mmdb\n" unless $asn_out;

sub tree {
    my ($type, %types) = @_;
    return MaxMind::DB::Writer::Tree->new(
        ip_version => 6, record_size => 24, database_type => $type,
        languages => ['en'], description => { en => "vigie test $type" },
        map_key_type_callback => sub { $types{ $_[0] } },
        alias_ipv6_to_ipv4 => 1, remove_reserved_networks => 0);
}

my $c = tree('GeoLite2-Country', country => 'map', iso_code => 'utf8_string',
             names => 'map', en => 'utf8_string');
$c->insert_network('198.51.100.0/24', { country => { iso_code => 'FR', names => { en => 'France' } } });
$c->insert_network('203.0.113.0/24',  { country => { iso_code => 'RU', names => { en => 'Russia' } } });
$c->insert_network('2001:db8::/32',   { country => { iso_code => 'DE', names => { en => 'Germany' } } });

my $a = tree('GeoLite2-ASN', autonomous_system_number => 'uint32',
             autonomous_system_organization => 'utf8_string');
$a->insert_network('198.51.100.0/24', { autonomous_system_number => 3215, autonomous_system_organization => 'Orange' });
$a->insert_network('203.0.113.0/24',  { autonomous_system_number => 64500, autonomous_system_organization => 'Example "Bulletproof" Hosting' });

for ([$c, $country_out], [$a, $asn_out]) {
    my ($t, $out) = @$_;
    open my $fh, '>:raw', $out or die "$out: $!\n";
    $t->write_tree($fh);
    close $fh or die "$out: $!\n";
}
