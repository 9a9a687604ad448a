#!/usr/bin/env bash
# The SFTP benchmark: Gatehouse against OpenSSH's sshd on this machine, in one run.
#   ./scripts/bench.sh            full run (1 GiB file, 5,000 held sessions; tens of minutes)
#   ./scripts/bench.sh --quick    small run (a couple of minutes)
#   ./scripts/bench.sh --help     every flag
# Results: a table on stdout and JSON in target/bench/results.json (--json PATH).
set -euo pipefail
cd "$(dirname "$0")/.."

for tool in sftp ssh-keygen /usr/sbin/sshd; do
    if ! command -v "$tool" >/dev/null; then
        echo "bench: $tool is missing; on Debian: apt-get install openssh-client openssh-server" >&2
        exit 1
    fi
done

# Every held session is a socket in the bench and one in the server (which inherits this).
hard=$(ulimit -Hn)
if [ "$hard" = unlimited ]; then hard=1048576; fi
ulimit -n "$hard"
if [ "$hard" -lt 12000 ]; then
    echo "bench: open-file limit is $hard; lower --sessions if the session phase fails" >&2
fi

cargo build --release -p gatehouse -p gatehouse-bench
exec target/release/gatehouse-bench "$@"
