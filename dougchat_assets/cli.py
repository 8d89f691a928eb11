"""`dougchat`: the command line.  Thin: every command calls the same functions as the assets."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from dougchat_assets.errors import InputError
from dougchat_assets.settings import WarehouseLayout

DEMO_DIR = Path(__file__).resolve().parent.parent / "demo"
DEMO_VODS = DEMO_DIR / "vods"
DEMO_AUDIT_LINES = 12


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
    import dagster as dg

    from dougchat_assets.runner import ensure_dagster_home, load_definitions, materialize_vods

    layout = _layout()
    ensure_dagster_home(layout)
    if not vod_ids:
        print(f"no VOD folders under {layout.incoming_dir}: add one with `dougchat add FOLDER`", file=sys.stderr)
        return 1
    with dg.DagsterInstance.get() as instance:
        outcomes = materialize_vods(vod_ids, selection, instance, load_definitions(), layout)
    failed = 0
    for outcome in outcomes:
        if outcome.success:
            print(f"ok      {outcome.vod_id}: {', '.join(outcome.materialized)}")
        else:
            failed += 1
            print(f"FAILED  {outcome.vod_id}", file=sys.stderr)
            for message in outcome.errors:
                print(f"        {message}", file=sys.stderr)
    return 1 if failed else 0


def _incoming_ids(layout: WarehouseLayout) -> list[str]:
    from dougchat_assets.ingest.incoming import scan_incoming

    scan = scan_incoming(layout.incoming_dir)
    for name, why in scan.rejected.items():
        print(f"skipping {name}: {why}", file=sys.stderr)
    return sorted(scan.fingerprints)


def cmd_materialize(args: argparse.Namespace) -> int:
    vod_ids = args.vod or _incoming_ids(_layout())
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
    code = _run(vod_ids, None)
    print(
        f"\nWarehouse: {layout.root}\n"
        f"  DuckDB:  {layout.duckdb_path}  (raw_chat, vods, vod_audio, audio_energy, transcript_segments, transcript_words, vod_manifest)\n"
        f"  audio:   {layout.audio_dir}/<vod_id>.flac\n"
        f"  UI:      dougchat dev   (then open http://127.0.0.1:3000)\n"
        f"  try:     python -c \"import duckdb; print(duckdb.connect('{layout.duckdb_path}', read_only=True)"
        f".sql('select vod_id, msg_type, count(*) from raw_chat group by all order by all'))\""
    )
    return code


def _install_demo_references(layout: WarehouseLayout, demo_dir: Path, vod_ids: list[str]) -> None:
    """The demo's scripts fill the ASR audits (a real VOD's come from a person via `dougchat audit`).

    The demo lexicon is NOT installed as ``<warehouse>/lexicon.txt``: as a Whisper prompt it
    raised tiny.en's audited WER on these VODs (mean 0.16 vs 0.13 without), see README.
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

    import duckdb

    from dougchat_assets.asr.audits import draw_audit_sample, write_audit_clips
    from dougchat_assets.asr.warehouse import audits_path
    from dougchat_assets.settings import validate_vod_id

    layout = _layout()
    vod_id = validate_vod_id(args.vod)
    with duckdb.connect(str(layout.duckdb_path), read_only=True) as con:
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


def cmd_review(args: argparse.Namespace) -> int:
    from dougchat_assets.review import run_review

    run_review(_layout(), args.vod, host=args.host, port=args.port, open_browser=args.open)
    return 0


def cmd_dev(args: argparse.Namespace) -> int:
    from dougchat_assets.runner import PROJECT_ROOT, ensure_dagster_home

    layout = _layout()
    ensure_dagster_home(layout)
    os.environ.setdefault("DOUGCHAT_WAREHOUSE", str(layout.root))
    # This interpreter, not whatever `dagster` is first on PATH: the code server must import
    # dougchat_assets from the same environment.
    command = [sys.executable, "-m", "dagster", "dev", "-h", args.host, "-p", str(args.port)]
    workspace = PROJECT_ROOT / "workspace.yaml"
    command += ["-w", str(workspace)] if workspace.exists() else ["-m", "dougchat_assets.definitions"]
    os.chdir(PROJECT_ROOT if workspace.exists() else Path.cwd())
    os.execvp(command[0], command)
    return 0  # unreachable: execvp replaces this process


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
    mat.add_argument("--select", action="append", help="asset key (repeatable; default: the whole per-VOD pipeline)")
    mat.set_defaults(func=cmd_materialize)

    demo = sub.add_parser("demo", help="register the bundled demo VODs and run the pipeline on them")
    demo.add_argument("--source", default=str(DEMO_VODS))
    demo.set_defaults(func=cmd_demo)

    audit = sub.add_parser("audit", help="draw a reproducible sample of transcript segments to audit by ear")
    audit.add_argument("vod")
    audit.add_argument("--n", type=int, default=20, help="segments to sample")
    audit.add_argument("--seed", type=int, default=0)
    audit.set_defaults(func=cmd_audit)

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
