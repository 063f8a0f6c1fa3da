#!/usr/bin/perl
# JSONata conformance for algawf.eval: runs every case of the in-scope groups
# of the JSONata test suite (and the Alga PSA expression corpus) through
# algawf.eval on a running cluster, in one psql session, and prints a
# scoreboard per group.
#
#   perl test/conformance/run.pl [--port N] [--suite DIR] [--summary FILE] [--verbose]
#
# A case passes when the result equals the expected one as JSON (undefined
# <=> SQL NULL) or, for an error case, when evaluation raises an error
# (matching JSONata codes are counted separately).  Cases listed in
# out_of_scope.txt need a feature outside the supported subset: they must fail
# with SQLSTATE 0A000 ("not supported"); they are reported as "unsupported".
# Exit status is non-zero when any other case fails.
use strict;
use warnings;
use JSON::PP;
use File::Basename qw(dirname);
use File::Temp qw(tempfile);
use Getopt::Long;

my $here = dirname(__FILE__);
my $root = "$here/../..";
my $port = $ENV{PGPORT} // 54329;
my $suite = $ENV{JSONATA_SUITE} // "$root/../shared/conformance/jsonata";
my $summary = "$root/tmp_check/conformance.json";
my $verbose = 0;
GetOptions('port=i' => \$port, 'suite=s' => \$suite, 'summary=s' => \$summary,
           'verbose' => \$verbose) or die "bad options\n";

my @groups = qw(
  literals fields quoted-selectors simple-array-selectors multiple-array-selectors
  array-constructor object-constructor predicates flattening missing-paths null
  comparison-operators numeric-operators boolean-expresssions string-concat
  inclusion-operator conditionals parentheses comments coalescing-operator
  default-operator wildcards descendent-operator range-operator context variables
  blocks sorting errors
  function-abs function-append function-average function-boolean function-ceil
  function-contains function-count function-distinct function-exists function-floor
  function-join function-keys function-length function-lookup function-lowercase
  function-max function-merge function-number function-pad function-power
  function-reverse function-round function-split function-spread function-sqrt
  function-string function-substring function-substringAfter function-substringBefore
  function-sum function-trim function-typeOf function-uppercase function-zip
  function-assert function-error function-encodeUrl function-encodeUrlComponent
  function-decodeUrl function-decodeUrlComponent function-fromMillis function-tomillis
);

my $json = JSON::PP->new->utf8->allow_nonref->canonical;
my $jtext = JSON::PP->new->allow_nonref->canonical;   # character strings

sub slurp {
    my ($path) = @_;
    open(my $fh, '<:raw', $path) or die "cannot read $path: $!\n";
    local $/;
    my $t = <$fh>;
    close $fh;
    return $t;
}

# ---- the out-of-scope list ----------------------------------------------------
my %oos;
for my $line (split /\n/, slurp("$here/out_of_scope.txt")) {
    next if $line =~ /^\s*(#|$)/;
    my ($id, $feature) = split /\t+/, $line, 2;
    $oos{$id} = $feature // 'unsupported feature';
}

my %keyorder;
for my $line (split /\n/, slurp("$here/key_order.txt")) {
    next if $line =~ /^\s*(#|$)/;
    my ($id) = split /\t+/, $line, 2;
    $keyorder{$id} = 1;
}

# ---- collect the cases ------------------------------------------------------------
my @cases;
my %datasets;
for my $g (@groups) {
    my $dir = "$suite/groups/$g";
    opendir(my $dh, $dir) or die "missing group $dir (set JSONATA_SUITE)\n";
    my @files = sort grep { /\.json$/ } readdir $dh;
    closedir $dh;
    for my $f (@files) {
        my $raw = slurp("$dir/$f");
        # a lone surrogate escape (only inside expression string literals) becomes
        # the JSONata escape for the same character
        $raw =~ s/(?<!\\)\\u(d[89ab][0-9a-f]{2})(?!\\u[dD][c-fC-F])/\\\\u$1/gi;
        $raw =~ s/(?<!\\)(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u(d[c-f][0-9a-f]{2})/\\\\u$1/gi;
        my $doc = $json->decode($raw);
        my @list = ref $doc eq 'ARRAY' ? @$doc : ($doc);
        (my $base = $f) =~ s/\.json$//;
        for my $i (0 .. $#list) {
            my $c = $list[$i];
            my $id = @list > 1 ? "$g/$base#$i" : "$g/$base";
            my $expr = $c->{expr};
            $expr = do { my $t = slurp("$dir/$c->{'expr-file'}"); utf8::decode($t); $t }
                unless defined $expr;
            my ($has_input, $input) = (0, undef);
            if (exists $c->{data}) {
                ($has_input, $input) = (1, $c->{data});
            } elsif (defined $c->{dataset}) {
                $datasets{$c->{dataset}} //= $json->decode(slurp("$suite/datasets/$c->{dataset}.json"));
                ($has_input, $input) = (1, $datasets{$c->{dataset}});
            }
            my $code = $c->{code} // ($c->{error} ? $c->{error}{code} // '' : undef);
            push @cases, {
                id => $id, group => $g, expr => $expr,
                has_input => $has_input, input => $input,
                bindings => $c->{bindings} // {},
                functions => 'extended',
                expect => exists $c->{result} ? 'result'
                        : $c->{undefinedResult} ? 'undefined'
                        : defined $code ? 'error' : 'undefined',
                result => $c->{result}, code => $code,
            };
        }
    }
}

# the Alga PSA expression corpus: alga function set, Alga-shaped contexts
{
    my $corpus = $json->decode(slurp("$here/alga_corpus.json"));
    my $n = 0;
    for my $c (@{ $corpus->{cases} }) {
        my $input = exists $c->{input} ? $c->{input} : $corpus->{context};
        push @cases, {
            id => "alga-corpus/" . ($c->{name} // $n), group => 'alga-corpus',
            expr => $c->{expr}, has_input => 1, input => $input,
            bindings => $c->{bindings} // {}, functions => $c->{functions} // 'alga',
            expect => exists $c->{result} ? 'result' : $c->{error} ? 'error' : 'undefined',
            result => $c->{result}, code => $c->{error},
            message_like => $c->{error} ? "\\b$c->{error}\\b" : undef,
        };
        $n++;
    }
    push @groups, 'alga-corpus';
}

# ---- one psql session ------------------------------------------------------------------
# JavaScript strings may hold lone UTF-16 surrogates; SQL text cannot.  They only
# occur inside string literals of the suite's expressions, where the JSONata escape
# \uXXXX denotes the same string.
sub sql_text {
    my ($s) = @_;
    $s =~ s/([\x{D800}-\x{DFFF}])/sprintf('\\u%04x', ord $1)/ge;
    return $s;
}

sub copy_field {
    my ($s) = @_;
    return '\N' unless defined $s;
    $s =~ s/\\/\\\\/g;
    $s =~ s/\t/\\t/g;
    $s =~ s/\n/\\n/g;
    $s =~ s/\r/\\r/g;
    return $s;
}

my ($sqlfh, $sqlfile) = tempfile('conformance-XXXXXX', SUFFIX => '.sql', TMPDIR => 1, UNLINK => 1);
binmode $sqlfh, ':encoding(UTF-8)';
print $sqlfh <<'SQL';
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
SET algawf.expr_budget = 100000000;
SET algawf.expr_max_result = '64MB';
SET algawf.expr_max_string = '64MB';
SET algawf.expr_max_memory = '512MB';
SET statement_timeout = '120s';
CREATE TEMP TABLE cases (id int, expr text, input jsonb, bindings jsonb, functions text);
CREATE FUNCTION pg_temp.run_case(expr text, input jsonb, bindings jsonb, functions text,
                                 OUT result jsonb, OUT undef boolean, OUT state text, OUT msg text)
LANGUAGE plpgsql AS $$
BEGIN
    result := algawf.eval(expr, input, bindings, functions);
    undef := result IS NULL;
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
END $$;
COPY cases FROM STDIN;
SQL
for my $i (0 .. $#cases) {
    my $c = $cases[$i];
    my $input = $c->{has_input} ? $jtext->encode($c->{input}) : undef;
    print $sqlfh join("\t", $i, copy_field(sql_text($c->{expr})), copy_field($input),
                      copy_field($jtext->encode($c->{bindings})), $c->{functions}), "\n";
}
print $sqlfh "\\.\n";
print $sqlfh <<'SQL';
SELECT json_build_object('id', c.id, 'result', r.result, 'isnull', r.undef,
                         'state', r.state, 'msg', r.msg)::text
  FROM cases c, LATERAL pg_temp.run_case(c.expr, c.input, c.bindings, c.functions) r
 ORDER BY c.id;
SQL
close $sqlfh;

my @psql = ('psql', '-X', '-q', '-At', '-p', $port, '-v', 'ON_ERROR_STOP=1', '-f', $sqlfile);
push @psql, '-h', $ENV{PGHOST} if $ENV{PGHOST};
push @psql, '-U', $ENV{PGUSER} // 'postgres';
push @psql, '-d', $ENV{PGDATABASE} // 'postgres';
open(my $out, '-|', @psql) or die "cannot run psql: $!\n";
my %got;
while (my $line = <$out>) {
    next unless $line =~ /^\{/;
    my $r = $json->decode($line);
    $got{$r->{id}} = $r;
}
close $out;
die "psql failed (exit $?)\n" if $? != 0;

# ---- compare -------------------------------------------------------------------------------
sub same {
    my ($x, $y) = @_;
    return 1 if !defined $x && !defined $y;
    return 0 if !defined $x || !defined $y;
    my ($rx, $ry) = (ref $x, ref $y);
    if ($rx eq 'HASH' || $ry eq 'HASH') {
        return 0 unless $rx eq 'HASH' && $ry eq 'HASH' && keys %$x == keys %$y;
        for my $k (keys %$x) { return 0 unless exists $y->{$k} && same($x->{$k}, $y->{$k}) }
        return 1;
    }
    if ($rx eq 'ARRAY' || $ry eq 'ARRAY') {
        return 0 unless $rx eq 'ARRAY' && $ry eq 'ARRAY' && @$x == @$y;
        for my $i (0 .. $#$x) { return 0 unless same($x->[$i], $y->[$i]) }
        return 1;
    }
    my $bx = JSON::PP::is_bool($x);
    my $by = JSON::PP::is_bool($y);
    return ($bx && $by) ? ($x ? 1 : 0) == ($y ? 1 : 0) : 0 if $bx || $by;
    my $nx = B::svref_2object(\$x)->FLAGS & (B::SVp_IOK() | B::SVp_NOK());
    my $ny = B::svref_2object(\$y)->FLAGS & (B::SVp_IOK() | B::SVp_NOK());
    # JSON::PP keeps integers too large for an IV as strings: compare those as numbers
    $nx ||= $x =~ /^-?\d{16,}$/;
    $ny ||= $y =~ /^-?\d{16,}$/;
    return 0 if ($nx ? 1 : 0) != ($ny ? 1 : 0);
    return $nx ? $x == $y : $x eq $y;
}
use B;

# same, ignoring the order of a top-level array (for %keyorder cases)
sub same_unordered {
    my ($x, $y) = @_;
    return same($x, $y) unless ref $x eq 'ARRAY' && ref $y eq 'ARRAY' && @$x == @$y;
    my @left = @$y;
  ITEM: for my $item (@$x) {
        for my $i (0 .. $#left) {
            if (same($item, $left[$i])) { splice @left, $i, 1; next ITEM }
        }
        return 0;
    }
    return 1;
}

my (%score, @failures, @unsupported_ok, %codes);
my ($pass, $fail, $unsupported) = (0, 0, 0);
for my $i (0 .. $#cases) {
    my $c = $cases[$i];
    my $r = $got{$i} // { state => 'XX000', msg => 'no result from psql' };
    my $g = $c->{group};
    $score{$g} //= { passed => 0, failed => 0, unsupported => 0 };
    my $errored = defined $r->{state};
    my $why;
    if (exists $oos{$c->{id}}) {
        if ($errored && $r->{state} eq '0A000') {
            $score{$g}{unsupported}++;
            $unsupported++;
            next;
        }
        $why = "listed as out of scope ($oos{$c->{id}}) but "
             . ($errored ? "failed with $r->{state}: $r->{msg}" : "did not fail with 0A000");
    } elsif ($c->{expect} eq 'error') {
        if (!$errored) {
            $why = "expected error " . ($c->{code} // '') . ", got " . ($r->{isnull} ? 'undefined' : $jtext->encode($r->{result}));
        } elsif ($r->{state} eq '0A000' && !($c->{message_like} && $r->{msg} =~ /$c->{message_like}/)) {
            $why = "expected error " . ($c->{code} // '') . ", got not supported: $r->{msg}";
        } else {
            my $code = $c->{code} // '';
            if ($code ne '' && $r->{msg} =~ /\b\Q$code\E\b/) { $codes{match}++ }
            else {
                $codes{other}++;
                print "code differs: $c->{id}: expected $code, got $r->{msg}\n" if $verbose;
            }
            if ($c->{message_like} && $r->{msg} !~ /$c->{message_like}/) {
                $why = "error message '$r->{msg}' does not match /$c->{message_like}/";
            }
        }
    } elsif ($errored) {
        $why = "error $r->{state}: $r->{msg}";
    } elsif ($c->{expect} eq 'undefined') {
        $why = "expected undefined, got " . $jtext->encode($r->{result}) unless $r->{isnull};
    } else {
        $why = "expected " . $jtext->encode($c->{result}) . ", got "
             . ($r->{isnull} ? 'undefined' : $jtext->encode($r->{result}))
            unless !$r->{isnull} && ($keyorder{$c->{id}} ? same_unordered($r->{result}, $c->{result})
                                                         : same($r->{result}, $c->{result}));
    }
    if (defined $why) {
        $score{$g}{failed}++;
        $fail++;
        push @failures, { id => $c->{id}, expr => $c->{expr}, why => $why };
    } else {
        $score{$g}{passed}++;
        $pass++;
    }
}

# ---- report -------------------------------------------------------------------------------
binmode STDOUT, ':encoding(UTF-8)';
for my $f (@failures) {
    my $e = $f->{expr};
    $e =~ s/\s+/ /g;
    $e = substr($e, 0, 100) . '...' if length $e > 100;
    printf "FAIL %s: %s\n     %s\n", $f->{id}, $e, substr($f->{why}, 0, 400);
}
print "\nJSONata conformance scoreboard (algawf.eval, function set 'extended'; alga-corpus uses 'alga')\n";
printf "%-32s %7s %7s %12s\n", 'group', 'passed', 'failed', 'unsupported';
for my $g (@groups) {
    my $s = $score{$g} or next;
    printf "%-32s %7d %7d %12d\n", $g, $s->{passed}, $s->{failed}, $s->{unsupported};
}
printf "%-32s %7d %7d %12d\n", 'total', $pass, $fail, $unsupported;
printf "error cases raising the same JSONata code: %d of %d\n",
    $codes{match} // 0, ($codes{match} // 0) + ($codes{other} // 0);

if ($summary) {
    mkdir dirname($summary);
    if (open(my $sf, '>', $summary)) {
        print $sf JSON::PP->new->canonical->pretty->encode({
            passed => $pass, failed => $fail, unsupported => $unsupported,
            error_codes_matching => $codes{match} // 0,
            groups => \%score,
            failures => [ map { $_->{id} } @failures ],
        });
        close $sf;
        print "summary written to $summary\n";
    }
}
printf "%d cases compared ignoring result order because jsonb does not keep object key order (key_order.txt)\n",
    scalar keys %keyorder;
print "conformance: $pass passed, $fail failed ($unsupported unsupported, listed in test/conformance/out_of_scope.txt)\n";
exit($fail ? 1 : 0);
