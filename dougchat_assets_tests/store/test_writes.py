import duckdb
import pyarrow as pa
import pytest

from dougchat_assets.store import TableWrite, replace_rows


def _energy(vod: str, n: int) -> pa.Table:
    return pa.table({"vod_id": [vod] * n, "frame_index": list(range(n)), "start_s": [i / 10 for i in range(n)], "rms_db": [-20.0] * n})


def test_replace_rows_replaces_only_the_partition() -> None:
    con = duckdb.connect()
    replace_rows(con, [TableWrite("audio_energy", _energy("a", 3), {"vod_id": "a"})])
    replace_rows(con, [TableWrite("audio_energy", _energy("b", 2), {"vod_id": "b"})])
    replace_rows(con, [TableWrite("audio_energy", _energy("a", 5), {"vod_id": "a"})])
    assert con.sql("select vod_id, count(*) from audio_energy group by 1 order by 1").fetchall() == [("a", 5), ("b", 2)]


def test_failure_mid_stream_rolls_back_every_table() -> None:
    con = duckdb.connect()
    replace_rows(con, [TableWrite("audio_energy", _energy("a", 3), {"vod_id": "a"})])

    def batches():
        yield _energy("a", 4).to_batches()[0]
        raise ValueError("parser failed on line 900000")

    with pytest.raises(ValueError, match="900000"):
        replace_rows(con, [TableWrite("audio_energy", batches(), {"vod_id": "a"})])
    assert con.execute("select count(*) from audio_energy where vod_id = 'a'").fetchone() == (3,)
