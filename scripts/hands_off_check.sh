#!/usr/bin/env bash
# The hands-off check of the operations issue, end to end on the demo (about 25 min on 2 cores):
#   1. `dougchat demo` builds a fresh warehouse;
#   2. `dougchat dev` starts on it: nothing may be re-run (the VODs are built from these files);
#   3. one more demo-like VOD is copied into incoming/: with no further command it must reach
#      the eval report (per-VOD run, then train_split -> lora_adapter -> eval_report);
#   4. an alignment override is saved for one VOD: exactly that VOD's offset_curve and
#      clean_pairs re-run, then the cross-VOD assets; nothing else.
# It prints the runs Dagster launched after each step.  Usage: scripts/hands_off_check.sh [DIR]
set -uo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DIR=${1:-/tmp/dougchat-hands-off}
PY="$ROOT/.venv/bin/python"
PORT=${PORT:-3111}
rm -rf "$DIR" && mkdir -p "$DIR"
export DOUGCHAT_WAREHOUSE="$DIR/warehouse" DAGSTER_HOME="$DIR/warehouse/.dagster"
cd "$DIR"

runs_since() {  # the runs started after epoch $1: id, status, partition, assets, who launched it
  "$PY" - "$1" <<'PY' 2>/dev/null
import sys, warnings
warnings.filterwarnings("ignore")
import dagster as dg
since = float(sys.argv[1])
with dg.DagsterInstance.get() as instance:
    for run in reversed(instance.get_runs()):
        started = instance.get_run_stats(run.run_id).start_time
        if started is not None and started < since:
            continue
        assets = sorted(k.to_user_string() for k in (run.asset_selection or []))
        print(run.run_id[:8], run.status.value, run.tags.get("dagster/partition", "-"), assets,
              run.tags.get("dagster/sensor_name", ""))
PY
}

wait_for_eval() {  # until a run with eval_report ended and none is in flight (at most $2 s)
  local since=$1 limit=$2 waited=0
  while [ "$waited" -lt "$limit" ]; do
    sleep 15; waited=$((waited + 15))
    local now; now=$(runs_since "$since")
    if grep -q "eval_report" <<<"$now" && ! grep -qE "STARTED|QUEUED|STARTING|NOT_STARTED" <<<"$now"; then
      echo "$now"; echo "(after ${waited} s)"; return 0
    fi
  done
  runs_since "$since"; echo "(gave up after ${limit} s)"; return 1
}

echo "== 1. dougchat demo"
"$ROOT/.venv/bin/dougchat" demo > demo.log 2>&1 || { tail -20 demo.log; exit 1; }
tail -3 demo.log
echo "== 2. dougchat dev on the built warehouse (150 s; expect no run)"
T0=$(date +%s)
setsid "$ROOT/.venv/bin/dougchat" dev --port "$PORT" > dev.log 2>&1 &
DEV=$!
trap 'kill -TERM -$DEV 2>/dev/null' EXIT
sleep 150
runs_since "$T0"
echo "== 3. a new VOD dropped into incoming/ (demo_02's files as demo_05)"
T1=$(date +%s)
cp -r "$ROOT/demo/vods/demo_02" "$DOUGCHAT_WAREHOUSE/incoming/demo_05"
wait_for_eval "$T1" 2400
echo "== 4. an override saved for demo_01 (its estimate, 0.3 s later)"
T2=$(date +%s)
"$PY" - <<'PY'
import os
from pathlib import Path
from dougchat_assets.align.override import Override, override_path, write_override
from dougchat_assets.align.result import Knot
from dougchat_assets.store.readonly import read_only_warehouse
root = Path(os.environ["DOUGCHAT_WAREHOUSE"])
with read_only_warehouse(root / "dougchat.duckdb", "hands-off check") as con:
    rows = con.execute("SELECT chat_utc_ms, audio_s, segment FROM offset_curve WHERE vod_id = 'demo_01' ORDER BY knot_index").fetchall()
knots = tuple(Knot(chat_utc_ms=c, audio_s=a + 0.3, segment=s) for c, a, s in rows)
write_override(override_path(root / "overrides", "demo_01"), Override(knots=knots, vod_id="demo_01", note="hands-off check"))
PY
wait_for_eval "$T2" 2400
