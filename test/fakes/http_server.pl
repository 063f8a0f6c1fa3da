#!/usr/bin/env perl
# A fake HTTP server for the end-to-end tests: one process, many connections at
# once (select loop, delayed answers on timers), core Perl modules only.
#
#   perl test/fakes/http_server.pl --port 18080 --log requests.jsonl [--pidfile F]
#
# Every request is appended to the log as one JSON line as soon as it has been
# read (before it is answered):
#   {"t": ms, "method", "path", "query", "headers": {lower-case name: value}, "body"}
#
# The answer is chosen by the first route whose pattern matches the path.
# Routes are data (@ROUTES below): vendor fakes add entries.  Built in:
#   /status/N[?retry_after=S]     status N (Retry-After: S when given)
#   /slow?ms=N[&status=S]         answer after N ms
#   /hang                         never answer (the client times out)
#   /drop                         close the connection without an answer
#   /echo                         200, JSON: method, path, query, headers, body
#   /json                         200, {"ok": true, "items": [1, 2, 3]}
#   /text                         200, text/plain
#   /big?bytes=N                  200, N bytes of "x"
#   /redirect                     302 to /json
#   /flaky?key=K&fail=N[&status=S][&retry_after=R]
#                                 the first N requests with key K get S (default 500), then 200
#   /seen                         200, JSON: how often each Idempotency-Key arrived so far
#
# --routes FILE adds routes (before the built-in ones): FILE is Perl returning
# {routes => [[regex, handler], ...], before => sub { $request } (optional:
# a response to answer instead of routing, e.g. an injected fault)}.
# test/fakes/vendors.pl is one (the integration vendors' APIs).
use strict;
use warnings;
use IO::Socket::INET;
use IO::Select;
use JSON::PP;
use Time::HiRes qw(time);
use Getopt::Long;

my ($port, $log, $pidfile, $routes_file) = (18080, '/dev/null', undef, undef);
GetOptions('port=i' => \$port, 'log=s' => \$log, 'pidfile=s' => \$pidfile, 'routes=s' => \$routes_file)
    or die "bad options\n";
our $BEFORE;

my $json = JSON::PP->new->canonical(1)->allow_nonref(1);
my %flaky;            # key -> requests seen
my %seen_keys;        # Idempotency-Key -> count

sub qparam { my ($q, $k, $d) = @_; return defined $q->{$k} ? $q->{$k} : $d; }

# Each route: [regex, handler].  A handler gets the request hash and returns
# {status, headers => {}, body, delay_ms, drop => 1, hang => 1}.
our @ROUTES = (
    [qr{^/status/(\d+)$}, sub {
        my ($r, $code) = @_;
        my %h = ('Content-Type' => 'application/json');
        $h{'Retry-After'} = $r->{query}{retry_after} if defined $r->{query}{retry_after};
        return {status => $code, headers => \%h, body => $json->encode({status => $code + 0})};
    }],
    [qr{^/slow$}, sub {
        my ($r) = @_;
        return {status => qparam($r->{query}, 'status', 200), delay_ms => qparam($r->{query}, 'ms', 1000),
                headers => {'Content-Type' => 'application/json'}, body => '{"slow": true}'};
    }],
    [qr{^/hang$}, sub { return {hang => 1}; }],
    [qr{^/drop$}, sub { return {drop => 1}; }],
    [qr{^/echo$}, sub {
        my ($r) = @_;
        return {status => 200, headers => {'Content-Type' => 'application/json'},
                body => $json->encode({method => $r->{method}, path => $r->{path}, query => $r->{query},
                                       headers => $r->{headers}, body => $r->{body}})};
    }],
    [qr{^/json$}, sub {
        return {status => 200, headers => {'Content-Type' => 'application/json; charset=utf-8'},
                body => '{"ok": true, "items": [1, 2, 3]}'};
    }],
    [qr{^/text$}, sub { return {status => 200, headers => {'Content-Type' => 'text/plain'}, body => "plain text\n"}; }],
    [qr{^/big$}, sub {
        my ($r) = @_;
        return {status => 200, headers => {'Content-Type' => 'text/plain'}, body => 'x' x qparam($r->{query}, 'bytes', 1000)};
    }],
    [qr{^/redirect$}, sub { return {status => 302, headers => {'Location' => '/json'}, body => ''}; }],
    [qr{^/flaky$}, sub {
        my ($r) = @_;
        my $key = qparam($r->{query}, 'key', 'default');
        my $n = ++$flaky{$key};
        if ($n <= qparam($r->{query}, 'fail', 1)) {
            my %h = ('Content-Type' => 'application/json');
            $h{'Retry-After'} = $r->{query}{retry_after} if defined $r->{query}{retry_after};
            return {status => qparam($r->{query}, 'status', 500), headers => \%h,
                    body => $json->encode({attempt => $n, failed => JSON::PP::true})};
        }
        return {status => 200, headers => {'Content-Type' => 'application/json'},
                body => $json->encode({attempt => $n, failed => JSON::PP::false})};
    }],
    [qr{^/seen$}, sub {
        return {status => 200, headers => {'Content-Type' => 'application/json'}, body => $json->encode(\%seen_keys)};
    }],
);

if ($routes_file) {
    require File::Spec;
    my $ext = do File::Spec->rel2abs($routes_file);
    die "cannot load $routes_file: " . ($@ || $! || 'it did not return a hash') . "\n" unless ref $ext eq 'HASH';
    unshift @ROUTES, @{$ext->{routes} || []};
    $BEFORE = $ext->{before};
}

my $listen = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => $port, Proto => 'tcp',
                                   Listen => 128, ReuseAddr => 1) or die "cannot listen on $port: $!\n";
$listen->blocking(0);
if ($pidfile) { open(my $p, '>', $pidfile) or die; print $p "$$\n"; close $p; }
open(my $logfh, '>>', $log) or die "cannot open $log: $!\n";
$logfh->autoflush(1);
$SIG{TERM} = sub { exit 0 };
$SIG{PIPE} = 'IGNORE';

my $sel = IO::Select->new($listen);
my %conn;      # fileno -> {sock, in, out, due, closing}

sub urldecode { my $s = shift; $s =~ tr/+/ /; $s =~ s/%([0-9A-Fa-f]{2})/chr(hex($1))/ge; return $s; }

sub parse_request {
    my ($c) = @_;
    my $end = index($c->{in}, "\r\n\r\n");
    return undef if $end < 0;
    my ($head) = substr($c->{in}, 0, $end);
    my @lines = split /\r\n/, $head;
    my ($method, $target) = split / /, shift @lines;
    my %h;
    for (@lines) { my ($k, $v) = split /:\s*/, $_, 2; $h{lc $k} = $v if defined $k; }
    my $len = $h{'content-length'} || 0;
    return undef if length($c->{in}) < $end + 4 + $len;
    my $body = substr($c->{in}, $end + 4, $len);
    $c->{in} = substr($c->{in}, $end + 4 + $len);
    my ($path, $qs) = split /\?/, $target, 2;
    my %q;
    for (split /&/, $qs // '') { my ($k, $v) = split /=/, $_, 2; $q{urldecode($k)} = urldecode($v // ''); }
    return {method => $method, path => $path, query => \%q, headers => \%h, body => $body};
}

sub answer {
    my ($c, $r) = @_;
    $seen_keys{$r->{headers}{'idempotency-key'}}++ if defined $r->{headers}{'idempotency-key'};
    print $logfh $json->encode({t => int(time * 1000), %$r}), "\n";
    my $res = $BEFORE ? $BEFORE->($r) : undef;
    if (!$res) {
        $res = {status => 404, headers => {'Content-Type' => 'text/plain'}, body => "no route\n"};
        for my $route (@ROUTES) {
            if (my @m = ($r->{path} =~ $route->[0])) { $res = $route->[1]->($r, @m); last; }
        }
    }
    if ($res->{drop}) { $c->{closing} = 1; $c->{out} = ''; $c->{due} = 0; return; }
    if ($res->{hang}) { $c->{hang} = 1; return; }
    my $body = $res->{body} // '';
    my $out = "HTTP/1.1 $res->{status} X\r\nContent-Length: " . length($body) . "\r\nConnection: close\r\n";
    $out .= "$_: $res->{headers}{$_}\r\n" for sort keys %{$res->{headers} || {}};
    $c->{out} = "$out\r\n$body";
    $c->{due} = time + ($res->{delay_ms} || 0) / 1000;
}

sub drop_conn {
    my ($fd) = @_;
    my $c = delete $conn{$fd} or return;
    $sel->remove($c->{sock});
    close $c->{sock};
}

while (1) {
    my $now = time;
    my $timeout = 1;
    for my $c (values %conn) {
        next unless defined $c->{due};
        my $d = $c->{due} - $now;
        $timeout = $d if $d < $timeout;
    }
    $timeout = 0 if $timeout < 0;
    my @ready = $sel->can_read($timeout);
    for my $s (@ready) {
        if ($s == $listen) {
            while (my $n = $listen->accept) {
                $n->blocking(0);
                $sel->add($n);
                $conn{fileno $n} = {sock => $n, in => ''};
            }
            next;
        }
        my $c = $conn{fileno $s} or next;
        my $got = sysread($s, my $buf, 65536);
        if (!$got) { drop_conn(fileno $s); next; }
        $c->{in} .= $buf;
        if (!defined $c->{due} && !$c->{hang}) {
            my $r = parse_request($c);
            answer($c, $r) if $r;
        }
    }
    $now = time;
    for my $fd (keys %conn) {
        my $c = $conn{$fd};
        next unless defined $c->{due} && $c->{due} <= $now;
        if ($c->{closing}) { drop_conn($fd); next; }
        $c->{sock}->blocking(1);
        syswrite($c->{sock}, $c->{out});
        drop_conn($fd);
    }
}
