#!/usr/bin/env bash
# tacit alone with many intents (method in bench/intents.py and docs/benchmarks.md):
#   bench/intents.sh [runs] [open intents] [intents due in one millisecond]
# Restart-to-ready and RSS with 1,000,000 open intents; lateness with 10,000 due in one
# millisecond, then with 10,000 due evenly over one second.
# Needs python3, taskset, cargo. Prints the figures as Markdown tables; asserts nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS="${1:-5}"; OPEN="${2:-1000000}"; DUE="${3:-10000}"
cargo build --release --quiet --bin tacit --example seed_intents
echo "# bench/intents.sh $RUNS $OPEN $DUE: $(date -u +%Y-%m-%dT%H:%MZ), commit $(git rev-parse --short HEAD), $(nproc) CPUs, tacit pinned to CPU 0"
python3 bench/intents.py --runs "$RUNS" --open "$OPEN" --due "$DUE"
exec python3 bench/intents.py --runs "$RUNS" --due "$DUE" --only due --in-second
