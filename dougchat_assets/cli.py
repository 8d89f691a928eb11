"""`dougchat`: the command line.  Thin: every command calls the same functions as the assets."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from dougchat_assets.errors import InputError
from dougchat_assets.settings import WarehouseLayout
from dougchat_assets.store.readonly import read_only_warehouse

DEMO_DIR = Path(__file__).resolve().parent.parent / "demo"
DEMO_VODS = DEMO_DIR / "vods"
DEMO_AUDIT_LINES = 12


def _read_warehouse(layout: WarehouseLayout):
    """A read-only connection that waits for a running materialization's commit (shared lock)."""
    return read_only_warehouse(layout.duckdb_path, "`dougchat " + " ".join(sys.argv[1:3]) + "` reading")


def _layout() -> WarehouseLayout:
    layout = WarehouseLayout.from_env()
    layout.ensure()
    return layout


def cmd_add(args: argparse.Namespace) -> int:
    from dougchat_assets.ingest.register import register_vod_folder

    registration = register_vod_folder(Path(args.folder), _layout(), vod_id=args.vod_id, force=args.force)
    print(f"{registration.status}: {registration.vod_id} -> {registration.folder}")
    return 0


def _run(vod_ids: list[str], selection: list[str] | None) -> int:
    """Per-VOD assets for each VOD (one run per partition), then the cross-VOD assets once."""
    import dagster as dg

    from dougchat_assets.defs.runs import fail_dead_runs
    from dougchat_assets.runner import (
        UnknownAssetError, ensure_dagster_home, load_definitions, materialize_cross_vod, materialize_vods, open_instance,
        split_selection,
    )

    layout = _layout()
    ensure_dagster_home(layout)
    definitions = load_definitions()
    try:
        per_vod, cross = split_selection(definitions, selection)
    except UnknownAssetError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if per_vod and not vod_ids:
        print(f"no VOD folders under {layout.incoming_dir}: add one with `dougchat add FOLDER`", file=sys.stderr)
        return 1
    with open_instance(layout) as instance:
        for run_id in fail_dead_runs(instance):
            print(f"marked run {run_id} failed: its process is gone (killed or crashed)", file=sys.stderr)
        outcomes = (
            materialize_vods(vod_ids, per_vod, instance, definitions, layout, progress=_progress) if per_vod else []
        )
        if cross:  # INFO: training and evaluation log their progress (steps, loss, tokens/s)
            outcomes.append(materialize_cross_vod(cross, instance, definitions, layout, log_level="INFO"))
    failed = 0
    for outcome in outcomes:
        if outcome.success:
            print(f"ok      {outcome.vod_id}: {', '.join(outcome.materialized)}")
        else:
            failed += 1
            print(f"FAILED  {outcome.vod_id}", file=sys.stderr)
        # a successful run may still have failed checks (on assets nothing downstream waits for)
        for message in outcome.errors:
            print(f"        {message}", file=sys.stderr)
        if outcome.log_path is not None:
            print(f"        details (tracebacks): {outcome.log_path}", file=sys.stderr)
    return 1 if failed else 0


def _progress(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _incoming_ids(layout: WarehouseLayout) -> list[str]:
    from dougchat_assets.ingest.incoming import scan_incoming

    scan = scan_incoming(layout.incoming_dir)
    for name, why in scan.rejected.items():
        print(f"skipping {name}: {why}", file=sys.stderr)
    return sorted(scan.fingerprints)


def _added_vods(layout: WarehouseLayout, requested: list[str]) -> list[str]:
    """``requested`` VOD ids, each checked to be a safe id of a VOD that was added, before any partition exists."""
    from dougchat_assets.settings import validate_vod_id

    for vod_id in requested:
        validate_vod_id(vod_id, source="--vod")
        if not layout.incoming(vod_id).is_dir():
            raise InputError(
                "--vod", f"VOD {vod_id!r} was never added (no folder {layout.incoming(vod_id)}): "
                         f"run `dougchat add FOLDER --vod-id {vod_id}` first"
            )
    return list(dict.fromkeys(requested))


def cmd_materialize(args: argparse.Namespace) -> int:
    layout = _layout()
    _demo_key_for_demo_warehouse(layout)
    vod_ids = _added_vods(layout, args.vod) if args.vod else _incoming_ids(layout)
    return _run(vod_ids, args.select)


def cmd_demo(args: argparse.Namespace) -> int:
    from dougchat_assets.ingest.register import register_vod_folder

    layout = _layout()
    source = Path(args.source)
    folders = sorted(p for p in source.iterdir() if p.is_dir()) if source.is_dir() else []
    if not folders:
        raise InputError(source, "no demo VOD folders found")
    vod_ids = []
    for folder in folders:
        registration = register_vod_folder(folder, layout, vod_id=folder.name, force=True)
        print(f"{registration.status}: {registration.vod_id}")
        vod_ids.append(registration.vod_id)
    _install_demo_references(layout, source.parent, vod_ids)
    _use_demo_settings(layout, source.parent)
    code = _run(vod_ids, None)
    venv = Path(sys.executable).parent
    print(
        f"\nWarehouse: {layout.root}\n"
        f"  DuckDB:    {layout.duckdb_path}\n"
        f"{_table_summary(layout)}"
        f"  audio:     {layout.audio_dir}/<vod_id>.flac\n"
        f"  plots:     {layout.reports_dir}/alignment/<vod_id>.png, {layout.reports_dir}/transcripts/<vod_id>.png,\n"
        f"             {layout.models_dir}/<run>/losses.png (all also inline in the UI)\n"
        f"  datasets:  {layout.datasets_dir}/<split version>/ (Parquet shards, JSONL, manifest.json)\n"
        f"  adapters:  {layout.models_dir}/<run>/adapter\n"
        f"  report:    {layout.reports_dir}/eval/<run>/index.html\n"
        f"  MLflow:    {venv}/mlflow ui --backend-store-uri sqlite:///{layout.mlflow_dir}/mlflow.db   (then http://127.0.0.1:5000)\n"
        f"  UI:        {venv}/dougchat dev   (then http://127.0.0.1:3000)\n"
        f"  review:    {venv}/dougchat review   (alignment QA in the browser)\n"
        f"  trace:     {venv}/dougchat trace <pair_id>   (ids: select pair_id from pairs)\n"
        f"  generate:  {venv}/dougchat generate --vod demo_03 --at 120\n"
    )
    return code


def _table_summary(layout: WarehouseLayout, width: int = 100) -> str:
    """Every table of the schema with its row count, wrapped under the DuckDB line."""
    from dougchat_assets.store.schema import TABLES

    from dougchat_assets.store.readonly import warehouse_exists

    counts: dict[str, int] = {}
    if warehouse_exists(layout.duckdb_path):
        with _read_warehouse(layout) as con:
            present = {row[0] for row in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
            counts = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES if t in present}
    items = [f"{table} ({counts[table]:,})" if table in counts else f"{table} (-)" for table in TABLES]
    lines, line = [], ""
    for item in items:
        if line and len(line) + len(item) + 2 > width:
            lines.append(line + ",")
            line = ""
        line = f"{line}, {item}" if line else item
    lines.append(line)
    return "".join(f"             {text}\n" for text in lines)


DEMO_HASH_KEY = "dougchat-demo-only-key-not-a-secret"


DEMO_MARKER = "DEMO_WAREHOUSE"


def _demo_key_for_demo_warehouse(layout: WarehouseLayout) -> None:
    """On a warehouse `dougchat demo` built, the demo's public key when no key is set.

    So `dougchat dev` / `materialize` after the demo hash users as the demo did (a VOD dropped
    in later gets pairs) instead of failing at clean_pairs; anywhere else a missing key stays
    an error.
    """
    from dougchat_assets.privacy import HASH_KEY_ENV

    if os.environ.get(HASH_KEY_ENV) or not (layout.root / DEMO_MARKER).exists():
        return
    os.environ[HASH_KEY_ENV] = DEMO_HASH_KEY
    print(f"note: {HASH_KEY_ENV} is not set; using the public demo key (fine for the demo VODs only: "
          f"set your own secret before ingesting real chat)")


def _use_demo_settings(layout: WarehouseLayout, demo_dir: Path) -> None:
    """The demo's user-hash key (when none is set) and its settings file (when the warehouse has none).

    The key is public, so demo hashes protect nobody: say so.  Real data needs a secret key.
    """
    layout.root.mkdir(parents=True, exist_ok=True)
    (layout.root / DEMO_MARKER).write_text(
        "Built by `dougchat demo`: without DOUGCHAT_HASH_KEY, dougchat uses the public demo key here.\n"
        "Delete this file (and set a secret key) before adding real chat.\n", encoding="utf-8")
    _demo_key_for_demo_warehouse(layout)
    settings = demo_dir / "dougchat.toml"
    if settings.exists() and not layout.settings_path.exists():
        import shutil

        shutil.copyfile(settings, layout.settings_path)
        print(f"settings: {layout.settings_path} (the demo's small training and evaluation budget)")


def _install_demo_references(layout: WarehouseLayout, demo_dir: Path, vod_ids: list[str]) -> None:
    """The demo's scripts fill the ASR audits (a real VOD's come from a person via `dougchat audit`).

    The demo lexicon is NOT installed as ``<warehouse>/lexicon.txt``: the demo shows the
    defaults (as a Whisper prompt it once raised tiny.en's audited WER here; see README).
    """
    from dougchat_assets.asr.audits import load_script
    from dougchat_assets.asr.warehouse import audits_path, script_audit_lines
    from dougchat_assets.fileio import atomic_write_text

    for vod_id in vod_ids:
        script = demo_dir / "truth" / vod_id / "script.json"
        if script.exists():
            lines = script_audit_lines(load_script(script), vod_id, DEMO_AUDIT_LINES)
            atomic_write_text(audits_path(layout, vod_id), "".join(line.to_json() + "\n" for line in lines))


def cmd_audit(args: argparse.Namespace) -> int:
    from types import SimpleNamespace

    from dougchat_assets.asr.audits import draw_audit_sample, write_audit_clips
    from dougchat_assets.asr.warehouse import audits_path
    from dougchat_assets.settings import validate_vod_id

    layout = _layout()
    vod_id = validate_vod_id(args.vod)
    with _read_warehouse(layout) as con:
        rows = con.execute(
            "SELECT segment_id, start_s, end_s, text FROM transcript_segments WHERE vod_id = ? AND text <> ''", [vod_id]
        ).fetchall()
        audio = con.execute("SELECT path FROM vod_audio WHERE vod_id = ?", [vod_id]).fetchone()
    if not rows or audio is None:
        raise InputError(layout.duckdb_path, f"no transcript for VOD {vod_id!r}: materialize transcripts first")
    segments = [SimpleNamespace(segment_id=r[0], start_s=r[1], end_s=r[2], text=r[3]) for r in rows]
    sample = draw_audit_sample(segments, vod_id, args.n, args.seed)
    template = write_audit_clips(layout.root / audio[0], sample, layout.audits_dir / vod_id, vod_id=vod_id)
    print(
        f"{len(sample)} clips and a template in {template.parent}\n"
        f"Listen to each clip, write what is said into its \"reference\", and save the file as\n"
        f"  {audits_path(layout, vod_id)}\n"
        f"then re-materialize transcripts: its audited_wer check scores the transcript on those clips."
    )
    return 0


def cmd_trace(args: argparse.Namespace) -> int:
    import json

    from dougchat_assets.dataset.lineage import clip_range, format_lineage
    from dougchat_assets.dataset.warehouse import trace_pair
    from dougchat_assets.store.readonly import warehouse_exists

    layout = _layout()
    if not warehouse_exists(layout.duckdb_path):
        raise InputError(layout.duckdb_path, "no warehouse here yet: run `dougchat demo` or materialize some VODs")
    with _read_warehouse(layout) as con:
        lineage = trace_pair(con, args.pair_id)
    print(json.dumps(lineage.as_dict(), indent=2, default=str) if args.json else format_lineage(lineage))
    if args.clip:
        from dougchat_assets.asr.audio_reader import write_wav_clip

        audio, start, end = clip_range(lineage, layout.root)
        out = write_wav_clip(audio, start, end, Path(args.clip))
        print(f"clip: {out} ({end - start:.1f} s of {audio.name} from {start:.2f} s)", file=sys.stderr)
    return 0


def _latest_run_dir(layout: WarehouseLayout) -> Path:
    """The adapter the last lora_adapter materialization produced (else the newest finished run folder)."""
    import dagster as dg

    from dougchat_assets.runner import ensure_dagster_home, open_instance

    ensure_dagster_home(layout)
    with open_instance(layout) as instance:
        event = instance.get_latest_materialization_event(dg.AssetKey("lora_adapter"))
    entry = event.asset_materialization.metadata.get("run_dir") if event and event.asset_materialization else None
    if entry is not None:
        return Path(str(entry.value))
    finished = sorted(layout.models_dir.glob("*/training.json"), key=lambda p: p.stat().st_mtime)
    if not finished:
        raise InputError(layout.models_dir, "no trained adapter: materialize lora_adapter first")
    return finished[-1].parent


def cmd_generate(args: argparse.Namespace) -> int:
    from dougchat_assets.dataset.config import DatasetConfig
    from dougchat_assets.dataset.params import filter_preset
    from dougchat_assets.dataset.toxicity import ToxicityScorer
    from dougchat_assets.dataset.warehouse import read_context_source
    from dougchat_assets.model.generate import filter_generated, generate_replies, load_for_inference, moment, snippet_context
    from dougchat_assets.settings import load_settings_section, validate_vod_id

    layout = _layout()
    dataset = load_settings_section(layout, "dataset", DatasetConfig)
    preset = filter_preset(args.preset or dataset.filter_preset)
    if args.snippet:
        context = snippet_context(args.snippet, dataset.window)
        where = "your snippet"
    else:
        if args.vod is None or args.at is None:
            raise InputError("generate", "give --vod and --at SECONDS (audio time), or --snippet TEXT")
        with _read_warehouse(layout) as con:
            source = read_context_source(con, validate_vod_id(args.vod), dataset.window)
        context, _ = moment(source, args.at)
        where = f"{args.vod} at {args.at:.1f} s"
    run_dir = Path(args.run) if args.run else _latest_run_dir(layout)
    loaded = load_for_inference(run_dir)
    print(f"model: {loaded.base.model_id} + adapter {run_dir.name} ({loaded.precision.device}/{loaded.precision.quantization})",
          file=sys.stderr)
    if args.show_context:
        print("context:\n" + "\n".join("  | " + line for line in context.splitlines()), file=sys.stderr)
    toxicity = ToxicityScorer().score
    replies: list[str] = []
    seed = args.seed
    while len(replies) < args.n and seed < args.seed + 5:
        sampled = generate_replies(loaded.model, loaded.tokenizer, context, args.n * 2, temperature=args.temperature,
                                   top_p=args.top_p, max_new_tokens=args.max_new_tokens, seed=seed)
        replies += filter_generated(sampled, preset, toxicity=toxicity,
                                    emote_density=preset.emote_only_keep_rate if args.emote_density is None else args.emote_density,
                                    seed=seed)
        seed += 1
    print(f"{len(replies[: args.n])} replies to {where} (preset {preset.preset}):", file=sys.stderr)
    for reply in replies[: args.n]:
        print(reply)
    return 0


def cmd_review(args: argparse.Namespace) -> int:
    from dougchat_assets.review import run_review

    run_review(_layout(), args.vod, host=args.host, port=args.port, open_browser=args.open)
    return 0


def cmd_dev(args: argparse.Namespace) -> int:
    import dagster as dg

    from dougchat_assets.defs.runs import fail_dead_runs
    from dougchat_assets.runner import PROJECT_ROOT, ensure_dagster_home, open_instance

    layout = _layout()
    _demo_key_for_demo_warehouse(layout)
    ensure_dagster_home(layout)
    with open_instance(layout) as instance:
        for run_id in fail_dead_runs(instance):
            print(f"marked run {run_id} failed: its process is gone (killed or crashed)", file=sys.stderr)
    os.environ.setdefault("DOUGCHAT_WAREHOUSE", str(layout.root))
    # This interpreter, not whatever `dagster` is first on PATH: the code server must import
    # dougchat_assets from the same environment.
    command = [sys.executable, "-m", "dagster", "dev", "-h", args.host, "-p", str(args.port)]
    workspace = PROJECT_ROOT / "workspace.yaml"
    command += ["-w", str(workspace)] if workspace.exists() else ["-m", "dougchat_assets.definitions"]
    os.chdir(PROJECT_ROOT if workspace.exists() else Path.cwd())
    # A shell starts background jobs with SIGINT ignored, and an ignored signal stays ignored
    # across exec: Dagster then kept running on Ctrl-C and on SIGTERM.  Default handlers.
    _restore_default_signals()
    os.execvp(command[0], command)
    return 0  # unreachable: execvp replaces this process


def _restore_default_signals() -> None:
    import signal

    for number in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(number, signal.SIG_DFL)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dougchat", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    add = sub.add_parser("add", help="validate a VOD folder and register it under warehouse/incoming/")
    add.add_argument("folder")
    add.add_argument("--vod-id", help="partition key (default: vod.json's vod_id, else the folder name)")
    add.add_argument("--force", action="store_true", help="replace an already registered VOD with different files")
    add.set_defaults(func=cmd_add)

    mat = sub.add_parser("materialize", help="materialize VOD partitions in-process (same assets as the UI)")
    mat.add_argument("--vod", action="append", help="VOD id (repeatable; default: every incoming VOD)")
    mat.add_argument(
        "--select", action="extend", nargs="+",
        help="asset keys (default: everything). Per-VOD assets run for each --vod (default: every incoming VOD); "
             "cross-VOD assets (train_split, lora_adapter, eval_report) run once over every VOD present",
    )
    mat.set_defaults(func=cmd_materialize)

    demo = sub.add_parser("demo", help="register the bundled demo VODs and run the pipeline on them")
    demo.add_argument("--source", default=str(DEMO_VODS))
    demo.set_defaults(func=cmd_demo)

    audit = sub.add_parser("audit", help="draw a reproducible sample of transcript segments to audit by ear")
    audit.add_argument("vod")
    audit.add_argument("--n", type=int, default=20, help="segments to sample")
    audit.add_argument("--seed", type=int, default=0)
    audit.set_defaults(func=cmd_audit)

    trace = sub.add_parser("trace", help="follow a training pair back to its chat line, transcript, audio and files")
    trace.add_argument("pair_id")
    trace.add_argument("--clip", help="write the context's audio range to this WAV file")
    trace.add_argument("--json", action="store_true", help="print the lineage as JSON")
    trace.set_defaults(func=cmd_trace)

    gen = sub.add_parser("generate", help="chat replies from the trained adapter to a moment of a VOD or a snippet")
    gen.add_argument("--vod", help="VOD id (with --at)")
    gen.add_argument("--at", type=float, help="audio time in seconds: the viewer's position")
    gen.add_argument("--snippet", help="a transcript snippet instead of a VOD moment")
    gen.add_argument("-n", type=int, default=5, help="replies to print")
    gen.add_argument("--temperature", type=float, default=0.9)
    gen.add_argument("--top-p", type=float, default=0.95)
    gen.add_argument("--max-new-tokens", type=int, default=24)
    gen.add_argument("--preset", help="filter preset applied to the samples (default: the dataset's)")
    gen.add_argument("--emote-density", type=float, help="share of emote-only replies kept (default: the preset's)")
    gen.add_argument("--run", help="a training run folder under warehouse/models/ (default: the latest lora_adapter)")
    gen.add_argument("--seed", type=int, default=0)
    gen.add_argument("--show-context", action="store_true", help="print the context the model is given")
    gen.set_defaults(func=cmd_generate)

    review = sub.add_parser("review", help="alignment QA: play a VOD beside its aligned chat, nudge and save overrides")
    review.add_argument("--vod", help="start on this VOD (default: a picker)")
    review.add_argument("--host", default="127.0.0.1")
    review.add_argument("--port", type=int, default=8765)
    review.add_argument("--open", action="store_true", help="open the page in a browser")
    review.set_defaults(func=cmd_review)

    dev = sub.add_parser("dev", help="start the Dagster UI + daemon on this warehouse (127.0.0.1)")
    dev.add_argument("--host", default="127.0.0.1")
    dev.add_argument("--port", type=int, default=3000)
    dev.set_defaults(func=cmd_dev)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except InputError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
