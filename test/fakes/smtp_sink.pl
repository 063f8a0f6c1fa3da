#!/usr/bin/env perl
# A small SMTP sink for the tests: speaks enough ESMTP for libcurl (EHLO/HELO,
# AUTH PLAIN/LOGIN, MAIL FROM, RCPT TO, DATA, RSET, NOOP, QUIT) on 127.0.0.1
# and writes every message it accepts into a directory:
#   DIR/messages.jsonl   one JSON object per message:
#                        {"n", "mail_from", "rcpt_to": [...], "auth_user", "data", "received_at"}
#   DIR/NNNN.eml         the message as received (dot-stuffing undone)
#   DIR/session.log      the conversation, for debugging
#   DIR/ready            written once listening (holds the pid)
#
# Faults, by recipient local part or for every recipient with --fault:
#   refuse*@...     550 at RCPT TO (permanent)
#   greylist*@...   451 at RCPT TO (temporary)
#   close*@...      the connection is closed in the middle of DATA
#
#   perl test/fakes/smtp_sink.pl --port 12525 --dir /tmp/sink [--auth user:secret] [--fault refuse|greylist|close]
#
# Core modules only.  One connection at a time.  Stops on SIGTERM/SIGINT.
use strict;
use warnings;
use IO::Socket::INET;
use Getopt::Long;
use JSON::PP;
use MIME::Base64 qw(decode_base64);
use POSIX qw(strftime);

my ($port, $dir, $auth, $fault) = (2525, undef, undef, '');
GetOptions('port=i' => \$port, 'dir=s' => \$dir, 'auth=s' => \$auth, 'fault=s' => \$fault)
    or die "usage: $0 --port N --dir DIR [--auth user:pass] [--fault refuse|greylist|close]\n";
die "--dir is required\n" unless defined $dir;
die "--fault must be refuse, greylist or close\n" if $fault ne '' && $fault !~ /^(refuse|greylist|close)$/;
mkdir $dir unless -d $dir;

my $server = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => $port, Proto => 'tcp',
                                   Listen => 16, ReuseAddr => 1)
    or die "cannot listen on 127.0.0.1:$port: $!\n";
$SIG{TERM} = $SIG{INT} = sub { close $server; exit 0 };
$SIG{PIPE} = 'IGNORE';

my $count = 0;
if (opendir my $dh, $dir) { $count = grep { /^\d+\.eml$/ } readdir $dh; closedir $dh }

open my $log, '>>', "$dir/session.log" or die "$dir/session.log: $!\n";
$log->autoflush(1);
open my $ready, '>', "$dir/ready" or die "$dir/ready: $!\n";
print $ready "$$\n";
close $ready;

while (my $c = $server->accept) {
    eval {
        local $SIG{ALRM} = sub { die "timeout\n" };
        alarm 30;
        session($c);
        alarm 0;
    };
    print $log "-- session ended: $@" if $@;
    close $c;
}

sub reply {
    my ($c, $line) = @_;
    print $log "S: $line\n";
    print $c "$line\r\n";
}

sub readline_crlf {
    my ($c) = @_;
    my $line = <$c>;
    return undef unless defined $line;
    $line =~ s/\r?\n\z//;
    return $line;
}

sub fault_for {
    my ($addr) = @_;
    return $fault if $fault ne '';
    return $1 if $addr =~ /^<?(refuse|greylist|close)[^@]*@/i;
    return '';
}

sub check_auth {
    my ($user, $pass) = @_;
    return 1 unless defined $auth;
    return "$user:$pass" eq $auth;
}

sub session {
    my ($c) = @_;
    my ($from, @rcpt, $auth_user, $close_in_data);
    print $log "-- connection\n";
    reply($c, '220 sink.test ESMTP algawf test sink');
    while (defined(my $line = readline_crlf($c))) {
        print $log 'C: ' . ($line =~ /^AUTH/i ? 'AUTH ...' : $line) . "\n";
        if ($line =~ /^EHLO\b/i) {
            print $c "250-sink.test greets you\r\n250-AUTH PLAIN LOGIN\r\n250-8BITMIME\r\n250 SIZE 10485760\r\n";
            print $log "S: 250 (EHLO)\n";
        } elsif ($line =~ /^HELO\b/i) {
            reply($c, '250 sink.test');
        } elsif ($line =~ /^AUTH\s+PLAIN(?:\s+(\S+))?/i) {
            my $b64 = $1;
            unless (defined $b64) { reply($c, '334 '); $b64 = readline_crlf($c) // '' }
            my (undef, $u, $p) = split /\0/, decode_base64($b64), 3;
            if (check_auth($u // '', $p // '')) { $auth_user = $u; reply($c, '235 2.7.0 Authentication successful') }
            else { reply($c, '535 5.7.8 Authentication credentials invalid') }
        } elsif ($line =~ /^AUTH\s+LOGIN(?:\s+(\S+))?/i) {
            my $u = defined $1 ? decode_base64($1) : undef;
            unless (defined $u) { reply($c, '334 VXNlcm5hbWU6'); $u = decode_base64(readline_crlf($c) // '') }
            reply($c, '334 UGFzc3dvcmQ6');
            my $p = decode_base64(readline_crlf($c) // '');
            if (check_auth($u, $p)) { $auth_user = $u; reply($c, '235 2.7.0 Authentication successful') }
            else { reply($c, '535 5.7.8 Authentication credentials invalid') }
        } elsif ($line =~ /^MAIL FROM:\s*(\S+)/i) {
            if (defined $auth && !defined $auth_user) { reply($c, '530 5.7.0 Authentication required'); next }
            ($from, @rcpt, $close_in_data) = ($1);
            $from =~ s/^<|>$//g;
            reply($c, '250 2.1.0 Ok');
        } elsif ($line =~ /^RCPT TO:\s*(\S+)/i) {
            my $to = $1;
            $to =~ s/^<|>$//g;
            my $f = fault_for($to);
            if ($f eq 'refuse') { reply($c, "550 5.1.1 <$to>: Recipient address rejected: User unknown"); next }
            if ($f eq 'greylist') { reply($c, "451 4.7.1 <$to>: Recipient address rejected: Greylisted, try again later"); next }
            $close_in_data = 1 if $f eq 'close';
            push @rcpt, $to;
            reply($c, '250 2.1.5 Ok');
        } elsif ($line =~ /^DATA\b/i) {
            unless (defined $from && @rcpt) { reply($c, '503 5.5.1 Need MAIL and RCPT first'); next }
            reply($c, '354 End data with <CR><LF>.<CR><LF>');
            my $data = '';
            my $lines = 0;
            while (defined(my $d = <$c>)) {
                last if $d eq ".\r\n" || $d eq ".\n";
                $d =~ s/^\.\././;
                $data .= $d;
                if ($close_in_data && ++$lines >= 3) { print $log "-- closing in the middle of DATA\n"; return }
            }
            $count++;
            my $name = sprintf('%04d', $count);
            open my $eml, '>', "$dir/$name.eml" or die "$dir/$name.eml: $!\n";
            binmode $eml;
            print $eml $data;
            close $eml;
            my $rec = JSON::PP->new->canonical->encode({
                n => $count, mail_from => $from, rcpt_to => [@rcpt], auth_user => $auth_user,
                data => $data, received_at => strftime('%Y-%m-%dT%H:%M:%SZ', gmtime) });
            open my $jl, '>>', "$dir/messages.jsonl" or die "$dir/messages.jsonl: $!\n";
            print $jl "$rec\n";
            close $jl;
            reply($c, "250 2.0.0 Ok: queued as SINK$name");
            ($from, @rcpt) = (undef);
        } elsif ($line =~ /^RSET\b/i) {
            ($from, @rcpt) = (undef);
            reply($c, '250 2.0.0 Ok');
        } elsif ($line =~ /^NOOP\b/i) {
            reply($c, '250 2.0.0 Ok');
        } elsif ($line =~ /^QUIT\b/i) {
            reply($c, '221 2.0.0 Bye');
            return;
        } else {
            reply($c, '502 5.5.2 Command not recognized');
        }
    }
}
