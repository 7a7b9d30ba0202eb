#!/usr/bin/env bash
# Run one fuzz target for a fixed time, single process.
#
#   fuzz/run.sh <target> <seconds> [extra libFuzzer flags...]
#   fuzz/run.sh list
#
# Targets: commands, config, webhook_payload, webhook_signature, duration.
#
# The corpus is fuzz/corpus/<target> (ignored by git). It starts from the
# committed seeds in fuzz/seeds/<target>; webhook_payload and commands also
# take GitHub's example payloads in tests/fixtures/webhooks. What libFuzzer
# adds there is kept between runs.
# A crash goes to fuzz/artifacts/<target>/, the full libFuzzer log to
# fuzz/artifacts/<target>/run-<UTC time>.log.
#
# Needs cargo-fuzz (`cargo install cargo-fuzz`). With a stable toolchain the
# nightly flags that cargo-fuzz passes are unlocked with RUSTC_BOOTSTRAP=1.
# FUZZ_NO_BUILD=1 runs the last built binary without rebuilding.
# SANITIZER=none skips AddressSanitizer (default: address; the code under
# test is safe Rust, so the assertions in the targets are the main oracle).
set -euo pipefail

fuzz_dir=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$fuzz_dir")
targets=(commands config webhook_payload webhook_signature duration)

if [[ $# -ge 1 && $1 == list ]]; then
    printf '%s\n' "${targets[@]}"
    exit 0
fi
if [[ $# -lt 2 ]]; then
    echo "usage: $0 <target> <seconds> [libFuzzer flags...]   (targets: ${targets[*]})" >&2
    exit 2
fi
target=$1
seconds=$2
shift 2
if [[ ! -f $fuzz_dir/fuzz_targets/$target.rs ]]; then
    echo "unknown target '$target' (targets: ${targets[*]})" >&2
    exit 2
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "cargo-fuzz is missing: cargo install cargo-fuzz" >&2
    exit 2
fi

corpus=$fuzz_dir/corpus/$target
artifacts=$fuzz_dir/artifacts/$target
mkdir -p "$corpus" "$artifacts"
# Seeds, minus any crash reproducers (they would stop the run at once; replay
# those with `cargo fuzz run <target> fuzz/seeds/<target>/crash-...`).
find "$fuzz_dir/seeds/$target" -maxdepth 1 -type f ! -name 'crash-*' \
    -exec cp -n -t "$corpus" {} +

shared=$repo/tests/fixtures/webhooks
if [[ -d $shared ]]; then
    case $target in
    webhook_payload)
        for f in "$shared"/*/*.json; do
            rel=${f#"$shared"/}
            cp -n "$f" "$corpus/shared-${rel//\//-}"
        done
        ;;
    commands)
        if command -v jq >/dev/null; then
            n=0
            for f in "$shared"/*/*.json; do
                while IFS= read -r -d '' body; do
                    n=$((n + 1))
                    printf '%s' "$body" >"$corpus/shared-body-$n.md"
                done < <(jq -j '[.comment.body, .review.body, .issue.body, .pull_request.body]
                    | map(select(. != null and . != "")) | .[] | (. + "\u0000")' "$f")
            done
        fi
        ;;
    esac
fi

log=$artifacts/run-$(date -u +%Y%m%dT%H%M%SZ).log
echo "fuzzing $target for ${seconds}s; corpus $corpus ($(ls "$corpus" | wc -l) files); log $log"

# -jobs=1 -workers=1: one fuzzing process (the machine is shared); libFuzzer
# then writes its output to fuzz-0.log in the working directory, so run there.
# -timeout: an input taking over 10 s counts as a hang (the parsers claim
# linear time). -rss_limit_mb: the default 2 GB.
flags=(-max_total_time="$seconds" -jobs=1 -workers=1 -timeout=10
    -rss_limit_mb=2048 -print_final_stats=1 "$@")
status=0
if [[ ${FUZZ_NO_BUILD:-0} == 1 ]]; then
    # Run the binary built last, e.g. while the main crate is mid-edit and
    # does not compile. Same flags as `cargo fuzz run` passes.
    bin=$fuzz_dir/target/x86_64-unknown-linux-gnu/release/$target
    [[ -x $bin ]] || { echo "$bin not built: cargo fuzz build -O $target" >&2; exit 2; }
    echo "FUZZ_NO_BUILD=1: running $bin, built $(date -u -r "$bin" +%Y-%m-%dT%H:%M:%SZ)"
    (cd "$artifacts" && "$bin" -artifact_prefix="$artifacts/" "${flags[@]}" "$corpus") ||
        status=$?
else
    (
        cd "$artifacts"
        RUSTC_BOOTSTRAP=1 cargo fuzz run --fuzz-dir "$fuzz_dir" -O \
            -s "${SANITIZER:-address}" "$target" "$corpus" -- "${flags[@]}"
    ) || status=$?
fi
if [[ -f $artifacts/fuzz-0.log ]]; then
    mv "$artifacts/fuzz-0.log" "$log"
fi
echo "---- end of $log"
tail -n 40 "$log" 2>/dev/null || true
exit "$status"
