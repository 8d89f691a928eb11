"""Ingest benchmark: chat throughput against a naive baseline, and audio decode peak RSS.

Run:  .venv/bin/python bench/ingest.py [--messages 1000000] [--hours 2]

1. Chat: a generated TwitchDownloader export with N messages is ingested by the real
   ``ingest_chat`` (ijson streaming + Arrow batches + one DuckDB transaction) and by a naive
   baseline (``json.load`` of the whole file + one ``INSERT`` per row).  The baseline's
   per-row insert is timed on the first ``--baseline-rows`` messages and extrapolated
   linearly to N (inserting 1M rows one by one takes far too long to wait for); its
   ``json.load`` is timed on the whole file.  Both run in this process, same machine, same run.
2. Audio: a generated AAC file of 30 min and of ``--hours`` hours is decoded by the real
   ``decode_to_flac`` in a fresh child process each; the child's peak RSS is reported, so
   one can see it does not grow with length.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing
import resource
import sys
import tempfile
import time
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dougchat_assets.audio.synthetic import write_long_audio, write_tone_audio  # noqa: E402
from dougchat_assets.chat.synthetic import write_twitchdownloader_export  # noqa: E402
from dougchat_assets.ingest.chat_ingest import ingest_chat  # noqa: E402
from dougchat_assets.settings import WarehouseLayout  # noqa: E402
from dougchat_assets.store.schema import ensure_schema  # noqa: E402


def bench_chat(work: Path, n_messages: int, baseline_rows: int) -> None:
    layout = WarehouseLayout(root=work / "warehouse")
    layout.ensure()
    folder = layout.incoming("bench")
    folder.mkdir(parents=True)
    export = folder / "chat.json"
    started = time.perf_counter()
    write_twitchdownloader_export(export, n_messages, seed=1)
    write_tone_audio(folder / "audio.flac", seconds=1.0)
    print(f"generated {n_messages:,} messages ({export.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - started:.1f} s")

    with duckdb.connect(str(work / "ours.duckdb")) as con:
        started = time.perf_counter()
        summary = ingest_chat(lambda: contextlib.nullcontext(con), layout, "bench")
        ours_s = time.perf_counter() - started
        assert summary.rows == n_messages, summary.rows
    ours_rate = n_messages / ours_s
    ours_rss = peak_rss_mib()

    with duckdb.connect(str(work / "naive.duckdb")) as con:
        ensure_schema(con)
        started = time.perf_counter()
        with open(export, encoding="utf-8") as handle:
            comments = json.load(handle)["comments"]
        load_s = time.perf_counter() - started
        started = time.perf_counter()
        for index, comment in enumerate(comments[:baseline_rows]):
            con.execute(
                "INSERT INTO raw_chat (msg_id, vod_id, sent_at_utc_ms, vod_offset_s, native_id, user_id, user_login,"
                " user_display_name, body, msg_type, is_emote_only, source_format, source_file, source_line)"
                " VALUES (?, ?, epoch_ms(?::TIMESTAMPTZ), ?, ?, ?, ?, ?, ?, 'chat', false, 'twitchdownloader', 'chat.json', ?)",
                [
                    f"bench-{index}", "bench", comment["created_at"], comment["content_offset_seconds"], comment["_id"],
                    comment["commenter"]["_id"], comment["commenter"]["name"], comment["commenter"]["display_name"],
                    comment["message"]["body"], index,
                ],
            )
        insert_s = (time.perf_counter() - started) * n_messages / baseline_rows
        del comments
    naive_s = load_s + insert_s
    naive_rate = n_messages / naive_s
    print()
    print("chat ingest (TwitchDownloader JSON)   messages/s    wall s   peak RSS")
    print(f"  dougchat ingest_chat            {ours_rate:>12,.0f} {ours_s:>9.1f}   {ours_rss:,.0f} MiB (process, before baseline)")
    print(f"  naive json.load + row INSERT    {naive_rate:>12,.0f} {naive_s:>9.1f}   (json.load {load_s:.1f} s; inserts timed on {baseline_rows:,} rows, extrapolated)")
    print(f"  ratio                           {ours_rate / naive_rate:>11.1f}x  (target >= 10x)")


def _decode_child(source: str, queue) -> None:
    from dougchat_assets.audio import decode_to_flac

    started = time.perf_counter()
    decoded = decode_to_flac(Path(source), Path(source).with_suffix(".out.flac"))
    queue.put((decoded.duration_s, time.perf_counter() - started, peak_rss_mib()))


def peak_rss_mib() -> float:
    """This process's own high-water mark (VmHWM).

    Not ``ru_maxrss``: Linux keeps that across fork+exec, so a spawned child would report
    the parent's peak (here the baseline's multi-GB ``json.load``).
    """
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench_audio(work: Path, hours: float) -> None:
    print()
    print("audio decode -> 16 kHz FLAC (fresh process each)   audio     wall s   peak RSS")
    ctx = multiprocessing.get_context("spawn")
    for seconds in (1800.0, hours * 3600):
        source = work / f"long_{int(seconds)}.m4a"
        write_long_audio(source, seconds)
        queue = ctx.Queue()
        child = ctx.Process(target=_decode_child, args=(str(source), queue))
        child.start()
        duration, wall, rss = queue.get()
        child.join()
        print(f"  {seconds / 3600:>4.1f} h AAC source                      {duration / 3600:>5.2f} h {wall:>9.1f}   {rss:,.0f} MiB")
        source.unlink()
        source.with_suffix(".out.flac").unlink()
    print("  target: peak RSS < 1024 MiB and not growing with length")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--baseline-rows", type=int, default=20_000)
    parser.add_argument("--hours", type=float, default=2.0)
    parser.add_argument("--skip-audio", action="store_true")
    parser.add_argument("--skip-chat", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="dougchat-bench-") as tmp:
        if not args.skip_chat:
            bench_chat(Path(tmp), args.messages, min(args.baseline_rows, args.messages))
        if not args.skip_audio:
            bench_audio(Path(tmp), args.hours)


if __name__ == "__main__":
    main()
