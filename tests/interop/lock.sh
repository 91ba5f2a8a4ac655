# exclusive PREFIX: hold, until this script exits, a lock named for the
# PREFIX of its namespaces and interfaces, so that two runs of the same tests
# (two build directories, two checkouts) wait for each other instead of
# tearing down each other's namespaces. For scripts that do not use lib.sh.
exclusive() {
	local lock=/tmp/kilo-test-$1.lock
	exec {KILO_LOCK_FD}>"$lock"
	flock -w 300 "$KILO_LOCK_FD" || {
		echo "FAIL: another run of the '$1' tests has held $lock for 5 minutes" >&2
		exit 1
	}
}
