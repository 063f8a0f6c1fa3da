# Shared by the end-to-end scripts: TAP output and the cluster's connection.
# The suite (test/run.sh) exports PGHOST/PGPORT/PGUSER and puts the private
# install's binaries first on PATH.
T_N=0
T_FAILED=0
ok() {      # ok CONDITION-EXIT-STATUS DESCRIPTION
    T_N=$((T_N + 1))
    if [ "$1" -eq 0 ]; then echo "ok $T_N - $2"; else echo "not ok $T_N - $2"; T_FAILED=$((T_FAILED + 1)); fi
}
is() {      # is GOT EXPECTED DESCRIPTION
    T_N=$((T_N + 1))
    if [ "$1" == "$2" ]; then echo "ok $T_N - $3"
    else echo "not ok $T_N - $3"; echo "#   got:      $1"; echo "#   expected: $2"; T_FAILED=$((T_FAILED + 1)); fi
}
done_testing() { echo "1..$T_N"; [ "$T_FAILED" -eq 0 ]; }
q() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }
