"""The reflector: list a resource, then watch it, and reflect every change into a store.

Mirrors client-go v0.31 ``tools/cache/reflector.go`` (``Run`` as ``wait.BackoffUntil`` of
``ListAndWatch``; ``list`` through ``tools/pager/pager.go``; ``watch`` and ``watchHandler``;
``relistResourceVersion``; ``isExpiredError``, ``isTooLargeResourceVersionError``,
``isWatchErrorRetriable``), ``listwatch.go`` (``NewFilteredListWatchFromClient``) and
apimachinery ``util/wait/backoff.go`` (``NewExponentialBackoffManager`` as ``NewReflector``
configures it: 800 ms doubling to 30 s, jitter 1.0, reset after 2 min without a back-off).

The rules, as upstream:
- The first list asks for ``resourceVersion=0`` in pages of 500 (``pager.PageSize``); the
  watch cache answers it at once and ignores the limit. A later list asks for the last
  resourceVersion seen, unpaged, so the watch cache can answer it too; only when that
  version is unavailable (410 Expired, or "Too large resource version") does it list
  again at ``""``: a consistent read from etcd, in pages with ``continue`` tokens. A page
  after the first that expires makes the pager fall back to one full list.
- The watch starts at the list's resourceVersion, with ``allowWatchBookmarks`` and a
  ``timeoutSeconds`` drawn between 5 and 10 minutes (``minWatchTimeout``) from the
  kernel's seeded RNG. Every event and bookmark moves ``last_sync_resource_version``.
- A watch that ends normally is reopened at once from the last version seen, without a
  list. A watch that ends with 410 (or any other error) ends ListAndWatch; ``run`` backs
  off and lists again. A watch request refused (connection refused, 429) backs off and
  retries the watch alone. A watch that closes in under a second with no events is an
  error ("very short watch").
- With a resync period, a timer started after each list asks ``should_resync`` and, if
  it says so, calls the store's ``resync``.

Simplified: no WatchList streaming (``sendInitialEvents``), no retry of internal errors
(``MaxInternalErrorRetryDuration`` is 0 upstream too), no expected-type checks; errors go
to ``watch_error_handler`` (by default recorded in ``error_log``) instead of klog.
"""
from __future__ import annotations

from typing import Any, Callable, Optional

from ..api import errors
from ..api.scheme import ResourceInfo
from ..sim import Kernel, Refused, Timeout
from .rest import Client, Watch

MIN_WATCH_TIMEOUT = 300.0          # minWatchTimeout: watches last [5, 10) minutes
PAGE_SIZE = 500                    # pager.defaultPageSize
BACKOFF_INITIAL = 0.8              # NewReflector's backoff manager: 800 ms ...
BACKOFF_CAP = 30.0                 # ... doubling to at most 30 s (then [30, 60) with jitter) ...
BACKOFF_RESET = 120.0              # ... reset when the last back-off began more than 2 min ago
BACKOFF_FACTOR = 2.0
BACKOFF_JITTER = 1.0


class ExponentialBackoffManager:
    """wait.NewExponentialBackoffManager: each step is the current duration plus up to
    ``jitter`` times it; the duration doubles up to ``cap``; a step asked for more than
    ``reset`` after the previous one starts again from ``initial``."""

    def __init__(self, kernel: Kernel, initial: float = BACKOFF_INITIAL, cap: float = BACKOFF_CAP,
                 reset: float = BACKOFF_RESET, factor: float = BACKOFF_FACTOR, jitter: float = BACKOFF_JITTER):
        self.kernel = kernel
        self.initial, self.cap, self.reset, self.factor, self.jitter = initial, cap, reset, factor, jitter
        self.duration = initial
        self.capped = False                      # Backoff.Steps reached 0: the duration stays at cap
        self.last_start = kernel.now

    def step(self) -> float:
        now = self.kernel.now
        if now - self.last_start > self.reset:
            self.duration, self.capped = self.initial, False
        self.last_start = now
        duration = self.duration
        if not self.capped:
            following = duration * self.factor
            if following > self.cap:
                following, self.capped = self.cap, True
            self.duration = following
        if self.jitter > 0:
            duration += self.kernel.rng.random() * self.jitter * duration
        return duration


class ListWatch:
    """NewFilteredListWatchFromClient: list and watch one resource, in one namespace (or all),
    with the informer's label and field selectors."""

    def __init__(self, client: Client, info: ResourceInfo, namespace: str = "", label_selector: str = "",
                 field_selector: str = ""):
        self.client, self.info = client, info
        self.namespace, self.label_selector, self.field_selector = namespace, label_selector, field_selector

    async def list(self, resource_version: str = "", limit: int = 0, continue_token: str = "") -> dict:
        return await self.client.list(self.info, self.namespace, self.label_selector, self.field_selector,
                                      resource_version=resource_version or None, limit=limit or None,
                                      continue_token=continue_token or None)

    async def watch(self, resource_version: str, timeout_seconds: int) -> Watch:
        return await self.client.watch(self.info, self.namespace, resource_version, self.label_selector,
                                       self.field_selector, timeout_seconds)


class WatchError(Exception):
    """A watch that ended in a way the reflector treats as an error (not a Status)."""


class ListError(Exception):
    """ListAndWatch's "failed to list": the list's own error is its ``__cause__``."""


def is_expired_error(err: BaseException) -> bool:
    """410: Expired (and Gone, from servers before 1.18)."""
    return isinstance(err, errors.StatusError) and err.reason in ("Expired", "Gone")


def is_too_large_resource_version_error(err: BaseException) -> bool:
    if not isinstance(err, errors.StatusError):
        return False
    causes = (err.status.get("details") or {}).get("causes") or ()
    if any(c.get("reason") == "ResourceVersionTooLarge" for c in causes):
        return True
    if err.reason != "Timeout":
        return False
    return any(c.get("message") == "Too large resource version" for c in causes) or \
        "Too large resource version" in err.message


def is_too_many_requests(err: BaseException) -> bool:
    return isinstance(err, errors.StatusError) and err.code == 429


def is_connection_refused(err: BaseException) -> bool:
    return isinstance(err, Refused) or isinstance(err.__cause__, Refused)


def is_watch_error_retriable(err: BaseException) -> bool:
    """Connection refused or 429: the server is there (or soon will be); watch again, do not list."""
    return is_connection_refused(err) or is_too_many_requests(err)


class Reflector:
    """Keeps ``store`` (a DeltaFIFO) in step with the API server for one ListWatch.

    ``relists`` counts the lists begun after the first successful one (attempts, whether or
    not they succeed): the number a reader watches go up when a watch falls behind.
    """

    def __init__(self, kernel: Kernel, lister_watcher: ListWatch, store: Any, name: str = "",
                 resync_period: float = 0.0, should_resync: Optional[Callable[[], bool]] = None):
        self.kernel = kernel
        self.lister_watcher = lister_watcher
        self.store = store
        self.name = name or f"reflector {lister_watcher.info.resource}"
        self.resync_period = resync_period
        self.should_resync = should_resync
        self.backoff = ExponentialBackoffManager(kernel)
        self.watch_list_page_size = 0
        self.paginated_result = False            # the first list came back in pages: keep paging
        self.last_sync_resource_version = ""
        self.is_last_sync_resource_version_unavailable = False
        self.watch_error_handler: Callable[["Reflector", BaseException], None] = default_watch_error_handler
        self.error_log: list[tuple[float, str]] = []   # (time, message), the last 20
        self.lists = 0                            # LIST calls made (a paged list counts once)
        self.relists = 0
        self.watches = 0                          # WATCH calls made
        self._listed = False

    # -- Run: BackoffUntil(ListAndWatch, backoff, sliding) --------------------------------------
    async def run(self) -> None:
        kernel = self.kernel
        while True:
            try:
                await self.list_and_watch()
            except (errors.StatusError, Timeout, WatchError, ListError) as err:
                self.watch_error_handler(self, err)
            await kernel.sleep(self.backoff.step())

    async def list_and_watch(self) -> None:
        try:
            await self.list()
        except (errors.StatusError, Timeout) as err:
            raise ListError(f"failed to list {self.lister_watcher.info.resource}: {err}") from err
        resync = None
        if self.resync_period > 0:
            resync = self.kernel.spawn(self._start_resync(), f"{self.name} resync")
        try:
            await self.watch()
        finally:
            if resync is not None:
                resync.cancel()

    async def _start_resync(self) -> None:
        while True:
            await self.kernel.sleep(self.resync_period)
            if self.should_resync is None or self.should_resync():
                self.store.resync()

    # -- list ---------------------------------------------------------------------------------
    def relist_resource_version(self) -> str:
        """"" after an unavailable version (a consistent read from etcd), "0" for the first list
        (any version, from the watch cache), else the last version seen."""
        if self.is_last_sync_resource_version_unavailable:
            return ""
        return self.last_sync_resource_version or "0"

    async def list(self) -> None:
        task = self.kernel.current
        task.cause = None
        if self._listed:
            self.relists += 1
        self.lists += 1
        resource_version = self.relist_resource_version()
        page_size = PAGE_SIZE
        if self.watch_list_page_size:
            page_size = self.watch_list_page_size
        elif self.paginated_result:
            pass
        elif resource_version not in ("", "0"):
            page_size = 0                        # unpaged, so the watch cache may answer
        try:
            items, list_version, paginated = await self._pager_list(resource_version, page_size)
        except errors.StatusError as err:
            if not (is_expired_error(err) or is_too_large_resource_version_error(err)):
                if errors.is_not_found(err):
                    self.store.replace([], "")
                raise
            self.is_last_sync_resource_version_unavailable = True
            items, list_version, paginated = await self._pager_list(self.relist_resource_version(), page_size)
        if resource_version == "0" and paginated:
            self.paginated_result = True
        self.is_last_sync_resource_version_unavailable = False
        self.store.replace(items, list_version)
        self.last_sync_resource_version = list_version
        self._listed = True

    async def _pager_list(self, resource_version: str, page_size: int) -> tuple[list, str, bool]:
        """ListPager.List: pages of ``page_size`` (0: one request) joined into one list at the
        first page's resourceVersion; an expired continue token falls back to a full list."""
        lw = self.lister_watcher
        items: Optional[list] = None
        list_version = ""
        paginated = False
        continue_token = ""
        version = resource_version
        while True:
            try:
                page = await lw.list(version, page_size, continue_token)
            except errors.StatusError as err:
                if not is_expired_error(err) or not continue_token:
                    raise
                page = await lw.list(resource_version, 0, "")
                return page["items"], page["metadata"]["resourceVersion"], paginated
            meta = page["metadata"]
            more = meta.get("continue") or ""
            if not more and items is None:
                return page["items"], meta["resourceVersion"], paginated
            if items is None:
                items, list_version = [], meta["resourceVersion"]
            items.extend(page["items"])
            if not more:
                return items, list_version, paginated
            continue_token, version, paginated = more, "", True

    # -- watch --------------------------------------------------------------------------------
    async def watch(self) -> None:
        """Watch from the last version seen; reopen a watch that ends normally; return on an
        error (ListAndWatch then ends and ``run`` lists again after a back-off)."""
        kernel = self.kernel
        while True:
            start = kernel.now
            timeout = int(MIN_WATCH_TIMEOUT * (kernel.rng.random() + 1.0))
            try:
                self.watches += 1
                w = await self.lister_watcher.watch(self.last_sync_resource_version, timeout)
            except (errors.StatusError, Timeout) as err:
                if is_watch_error_retriable(err):
                    self.watch_error_handler(self, err)
                    await kernel.sleep(self.backoff.step())
                    continue
                raise
            try:
                await self._watch_handler(start, w)
            except (errors.StatusError, WatchError) as err:
                w.stop()
                if is_too_many_requests(err):
                    self.watch_error_handler(self, err)
                    await kernel.sleep(self.backoff.step())
                    continue
                self.watch_error_handler(self, err)
                return
            w.stop()

    async def _watch_handler(self, start: float, w: Watch) -> None:
        """watchHandler: each event into the store, each version into last_sync_resource_version."""
        kernel, store = self.kernel, self.store
        task = kernel.current
        count = 0
        try:
            while True:
                event, hop = await w.next()
                if event is None:
                    break
                kind, obj = event.type, event.object
                if kind == "ERROR":
                    raise errors.from_status(obj)
                task.cause = hop
                if kind == "ADDED":
                    store.add(obj)
                elif kind == "MODIFIED":
                    store.update(obj)
                elif kind == "DELETED":
                    store.delete(obj)
                elif kind != "BOOKMARK":
                    self._record(f"unable to understand watch event {kind}")
                    continue
                self.last_sync_resource_version = obj["metadata"]["resourceVersion"]
                count += 1
        finally:
            task.cause = None
        if kernel.now - start < 1.0 and count == 0:
            raise WatchError(f"very short watch: {self.name}: Unexpected watch close - "
                             "watch lasted less than a second and no items received")

    def _record(self, message: str) -> None:
        self.error_log.append((self.kernel.now, message))
        del self.error_log[:-20]


def default_watch_error_handler(reflector: Reflector, err: BaseException) -> None:
    """DefaultWatchErrorHandler, logging to ``reflector.error_log`` instead of klog."""
    what = reflector.lister_watcher.info.resource
    if is_expired_error(err):
        reflector._record(f"{reflector.name}: watch of {what} closed with: {err}")
    else:
        reflector._record(f"{reflector.name}: Failed to watch {what}: {err}")
