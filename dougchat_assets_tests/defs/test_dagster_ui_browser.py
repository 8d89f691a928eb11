"""The Dagster UI in a real headless Chromium: graph, a partitioned asset, a launch, its check.

The webserver runs as a user runs it (``dagster-webserver`` on the project's workspace.yaml)
against a throw-away warehouse holding one demo VOD.  Everything the test does to Dagster goes
through the page: choosing the partition, launching, waiting for the run; the instance is read
only afterwards, to cross-check what the page said.

No daemon runs, so no sensor can start whole-VOD pipeline runs behind the test's back; the
instance uses Dagster's immediate run coordinator instead of the project's queued one (which
needs the daemon to dequeue).  Set ``DOUGCHAT_UI_SCREENSHOTS=docs/screenshots`` to refresh the
README's screenshots (``scripts/ui_screenshots.sh``); otherwise they go to the test's tmp dir.

Needs Debian's ``chromium`` and the ``playwright`` package (never ``playwright install``).
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import yaml

from dougchat_assets.cli import DEMO_VODS
from dougchat_assets.defs.partitions import vods
from dougchat_assets.ingest.register import register_vod_folder
from dougchat_assets.runner import PROJECT_ROOT
from dougchat_assets.settings import WAREHOUSE_ENV, WarehouseLayout
from dougchat_assets_tests.browser import chromium, require_chromium

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.browser

VOD = "demo_01"
ASSET = "raw_chat"
CHECK = "chat_within_vod_span"
GROUPS = ("ingest", "transcription", "alignment", "dataset", "model")
ASSETS = (ASSET, "vod_audio", "transcripts", "offset_curve", "clean_pairs", "train_split", "lora_adapter",
          "eval_report")
SCREENSHOTS_ENV = "DOUGCHAT_UI_SCREENSHOTS"
READY_TIMEOUT_S = 90
RUN_TIMEOUT_MS = 90_000  # the run subprocess imports the code location first (~5 s idle, more when loaded)
VIEWPORT = {"width": 1400, "height": 860}


@dataclass(frozen=True)
class DagsterUi:
    url: str
    dagster_home: Path
    log: Path

    def log_tail(self, lines: int = 40) -> str:
        """The webserver's last lines (code-location load errors land here), for failure messages."""
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


def run_errors(ui: DagsterUi, run_id: str) -> str:
    """The failed run's step and run errors, read from the instance, for the assertion message."""
    import dagster as dg

    lines = []
    with dg.DagsterInstance.from_config(str(ui.dagster_home)) as instance:
        for record in instance.all_logs(run_id):
            event = record.dagster_event
            error = getattr(event.event_specific_data, "error", None) if event is not None else None
            if error is not None:
                lines.append(f"{event.event_type_value} {event.step_key or ''}: {error.to_string()[-1500:]}")
    return "\n".join(lines) or "(no error events recorded)"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def write_instance_yaml(dagster_home: Path) -> None:
    """The project's dagster.yaml, with runs launched at once and no first-visit newsletter modal.

    Dagster's default QueuedRunCoordinator only queues; the daemon dequeues, and the daemon
    would also start the sensors.  ``nux`` off: the "Join the Dagster community" modal would
    cover the first page (and every screenshot).
    """
    config = yaml.safe_load((PROJECT_ROOT / "dagster.yaml").read_text()) or {}
    config["run_coordinator"] = {"module": "dagster._core.run_coordinator", "class": "DefaultRunCoordinator"}
    config["nux"] = {"enabled": False}
    dagster_home.mkdir(parents=True, exist_ok=True)
    (dagster_home / "dagster.yaml").write_text(yaml.safe_dump(config, sort_keys=False))


def wait_until_ready(process: subprocess.Popen, url: str, log: Path) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = log.read_text(errors="replace")[-4000:]
            raise RuntimeError(f"dagster-webserver exited with {process.returncode}:\n{tail}")
        try:
            with urllib.request.urlopen(f"{url}/server_info", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    tail = log.read_text(errors="replace")[-4000:]
    raise RuntimeError(f"dagster-webserver not ready after {READY_TIMEOUT_S} s:\n{tail}")


def stop_process_group(process: subprocess.Popen) -> None:
    """SIGTERM the webserver's whole group (code server, run subprocesses), SIGKILL what lingers."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        pass
    try:
        os.killpg(process.pid, signal.SIGKILL)  # the group's other members, even if the leader left
    except ProcessLookupError:
        pass
    process.wait(timeout=5)


@pytest.fixture(scope="module")
def dagster_ui(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DagsterUi]:
    """dagster-webserver on 127.0.0.1 (free port) over a warehouse with one demo VOD and its partition."""
    require_chromium()  # skip before paying for a webserver
    import dagster as dg

    root = tmp_path_factory.mktemp("dagster_ui")
    layout = WarehouseLayout(root=root / "warehouse")
    layout.ensure()
    register_vod_folder(DEMO_VODS / VOD, layout, vod_id=VOD)  # what `dougchat add demo/vods/demo_01` does
    dagster_home = layout.dagster_home
    write_instance_yaml(dagster_home)
    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        # the incoming sensor's (and `dougchat materialize`'s) step: the folder becomes a partition
        instance.add_dynamic_partitions(vods.name, [VOD])
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = root / "webserver.log"
    env = {**os.environ, "DAGSTER_HOME": str(dagster_home), WAREHOUSE_ENV: str(layout.root)}
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "dagster_webserver", "-h", "127.0.0.1", "-p", str(port),
             "-w", str(PROJECT_ROOT / "workspace.yaml")],
            cwd=PROJECT_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )
    try:
        wait_until_ready(process, url, log)
        yield DagsterUi(url, dagster_home, log)
    finally:
        stop_process_group(process)


@pytest.fixture(scope="module")
def browser(dagster_ui: DagsterUi) -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


@pytest.fixture
def page(browser: Browser, dagster_ui: DagsterUi) -> Iterator[Page]:
    context = browser.new_context(viewport=VIEWPORT)
    tab = context.new_page()
    tab.set_default_timeout(30_000)
    try:
        yield tab
    finally:
        context.close()


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    chosen = os.environ.get(SCREENSHOTS_ENV)
    folder = Path(chosen) if chosen else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def shoot(page: Page, folder: Path, name: str) -> None:
    page.mouse.move(0, 0)  # no hover overlay ("View full message") in the picture
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(folder / f"{name}.png"))


def test_launch_one_partition_through_the_ui(page: Page, dagster_ui: DagsterUi, screenshots: Path) -> None:
    import dagster as dg

    page.goto(f"{dagster_ui.url}/assets/{ASSET}?view=partitions")
    page.get_by_text(VOD, exact=True).first.wait_for()
    page.get_by_text("Missing (1)").wait_for()  # the partition exists and was never built

    page.get_by_role("button", name="Materialize…").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_text(f"Launch runs to materialize {ASSET}").wait_for()
    dialog.get_by_text("Select a partition or create one").click()
    page.get_by_role("menuitem", name=VOD).click()
    dialog.get_by_text(f"Launch runs to materialize {ASSET}").click()  # close the partition picker
    dialog.get_by_role("button", name="Launch 1 run").click()

    toast = page.get_by_text(re.compile(r"Launched run [0-9a-f]{8}"))
    toast.wait_for()
    prefix = re.search(r"[0-9a-f]{8}", toast.inner_text()).group(0)
    page.goto(f"{dagster_ui.url}/runs")
    page.get_by_role("link", name=prefix).first.click()
    page.wait_for_url(re.compile(rf"/runs/{prefix}[0-9a-f-]*"))
    run_id = page.url.rsplit("/", 1)[-1].split("?")[0]

    status = page.get_by_text(re.compile(r"^(Success|Failure|Canceled)$")).first
    status.wait_for(timeout=RUN_TIMEOUT_MS)
    assert status.inner_text() == "Success", (
        f"run {run_id} ended as {status.inner_text()!r} in the UI:\n{run_errors(dagster_ui, run_id)}\n"
        f"webserver log:\n{dagster_ui.log_tail()}"
    )
    shoot(page, screenshots, "run-success")

    page.goto(f"{dagster_ui.url}/assets/{ASSET}?view=checks")
    page.get_by_text(CHECK, exact=True).first.wait_for()
    page.get_by_text("Passed", exact=True).first.wait_for()
    page.get_by_text(VOD, exact=True).first.wait_for()  # the result names its VOD (metadata or partition)
    shoot(page, screenshots, "raw-chat-checks")

    page.goto(f"{dagster_ui.url}/assets/{ASSET}?view=partitions")
    page.get_by_text("Materialized (1)").wait_for()
    page.get_by_text(VOD, exact=True).first.click()
    page.get_by_text("dagster/row_count").first.wait_for()
    shoot(page, screenshots, "raw-chat-partitions")

    # Cross-check the page against the instance: the run came from the UI, built this partition,
    # and recorded a passing evaluation of the check for it.
    with dg.DagsterInstance.from_config(str(dagster_ui.dagster_home)) as instance:
        assert [run.run_id for run in instance.get_runs()] == [run_id]  # nothing else (no sensor) launched a run
        run = instance.get_run_by_id(run_id)
        assert run is not None and run.status == dg.DagsterRunStatus.SUCCESS
        assert run.tags.get("dagster/from_ui") == "true" and run.tags.get("dagster/partition") == VOD
        evaluation = instance.event_log_storage.get_latest_asset_check_execution_by_key(
            [dg.AssetCheckKey(dg.AssetKey(ASSET), CHECK)]
        )[dg.AssetCheckKey(dg.AssetKey(ASSET), CHECK)]
        assert evaluation.run_id == run_id
        assert evaluation.status.value == "SUCCEEDED"


def test_asset_graph_shows_every_group(page: Page, dagster_ui: DagsterUi, screenshots: Path) -> None:
    """Each group, then (expanded) each asset.  Runs after the launch, so the shot shows raw_chat built."""
    page.goto(f"{dagster_ui.url}/asset-groups")
    page.get_by_text("Global asset lineage").wait_for()
    for group in GROUPS:  # the sidebar lists each group (collapsed)
        page.get_by_text(group, exact=True).first.wait_for()
    # fold the asset tree (the button beside "Jump to…"): room for the graph
    page.get_by_placeholder("Jump to…").locator("xpath=following::button[1]").click()
    page.keyboard.press("Alt+e")  # the graph's "Expand all groups" (its settings menu shows the shortcut)
    for asset in ASSETS:
        page.get_by_text(asset, exact=True).first.wait_for()
    shoot(page, screenshots, "asset-graph")
