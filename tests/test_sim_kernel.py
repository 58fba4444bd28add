"""Tests of k8slite/sim/kernel.py: tasks, futures, sleep, cancel, timeout, queues, running."""
import pytest

from k8slite.sim.kernel import Cancelled, Kernel, TaskFailed, Timeout


@pytest.fixture
def kernel():
    return Kernel(seed=1)


# -- spawn and await ------------------------------------------------------------
def test_a_spawned_task_runs_only_after_the_caller_yields(kernel):
    log = []

    async def child():
        log.append(("child", kernel.now))
        return 7

    async def parent():
        task = kernel.spawn(child(), "child")
        log.append(("parent before await", kernel.now))
        value = await task
        log.append(("parent got", value))
        return value * 2

    assert kernel.run_until_complete(parent()) == 14
    assert log == [("parent before await", 0.0), ("child", 0.0), ("parent got", 7)]


def test_a_result_travels_up_a_chain_of_awaits_across_sleeps(kernel):
    async def leaf():
        await kernel.sleep(1.5)
        return "leaf"

    async def middle():
        value = await kernel.spawn(leaf())
        await kernel.sleep(0.5)
        return value + "+middle"

    async def top():
        return (await kernel.spawn(middle())) + "+top"

    assert kernel.run_until_complete(top()) == "leaf+middle+top"
    assert kernel.now == 2.0


def test_an_exception_travels_up_a_chain_of_awaits_and_can_be_caught(kernel):
    class Boom(Exception):
        pass

    async def leaf():
        await kernel.sleep(1)
        raise Boom("deep")

    async def middle():
        return await kernel.spawn(leaf())

    async def top():
        try:
            await kernel.spawn(middle())
        except Boom as error:
            return f"caught {error} at {kernel.now:g}"

    assert kernel.run_until_complete(top()) == "caught deep at 1"


def test_a_task_records_name_cause_and_owner_and_children_inherit_them(kernel):
    seen = {}

    async def child():
        seen["child"] = (kernel.current.name, kernel.current.cause, kernel.current.owner)

    async def parent():
        seen["parent"] = (kernel.current.name, kernel.current.cause, kernel.current.owner)
        await kernel.spawn(child(), "kid")
        await kernel.spawn(child(), "orphan", cause=None)
        seen["orphan"] = seen.pop("child")

    kernel.spawn(parent(), "p", cause=41, owner="kubelet")
    kernel.run()
    assert seen == {"parent": ("p", 41, "kubelet"), "orphan": ("orphan", None, "kubelet")}


def test_a_task_name_defaults_to_its_coroutine_function_name(kernel):
    async def reconcile():
        pass

    assert kernel.spawn(reconcile()).name == "reconcile"
    kernel.run()


# -- cancel ----------------------------------------------------------------------
def test_a_cancelled_task_stops_at_its_await_and_runs_its_cleanup(kernel):
    log = []
    gate = kernel.future()

    async def worker():
        log.append("started")
        try:
            await gate
            log.append("passed the gate")
        except Cancelled:
            log.append(f"cancelled at {kernel.now:g}")
            raise

    task = kernel.spawn(worker())
    kernel.run(seconds=1)
    assert task.cancel() is True
    kernel.run(seconds=1)
    gate.set_result(None)
    kernel.run()
    assert log == ["started", "cancelled at 1"]
    assert task.done() and task.exception() is None
    with pytest.raises(Cancelled):
        task.result()


def test_cancelling_a_sleeping_task_wakes_it_at_once_and_its_timer_never_resumes_it(kernel):
    log = []

    async def sleeper():
        try:
            await kernel.sleep(10)
            log.append("woke")
        except Cancelled:
            log.append(f"cancelled at {kernel.now:g}")
            raise

    task = kernel.spawn(sleeper())
    kernel.run(until=3)
    task.cancel()
    kernel.run(until=20)
    assert log == ["cancelled at 3"]


def test_a_task_that_swallows_cancel_keeps_running(kernel):
    log = []

    async def stubborn():
        try:
            await kernel.sleep(10)
        except Cancelled:
            log.append("ignored cancel")
        await kernel.sleep(20)       # the stale wake-up at t=10 must not end this sleep
        return "finished"

    task = kernel.spawn(stubborn())
    kernel.run(until=2)
    task.cancel()
    kernel.run(until=21.9)
    assert log == ["ignored cancel"] and not task.done()
    kernel.run(until=22)
    assert task.result() == "finished"


def test_run_without_a_limit_stops_at_the_last_live_event_not_at_a_cancelled_timer(kernel):
    async def sleeper():
        await kernel.sleep(10)

    task = kernel.spawn(sleeper())
    kernel.call_later(20, print).cancel()
    kernel.run(until=2)
    task.cancel()
    kernel.run()
    assert kernel.now == 2


def test_cancelling_a_finished_task_does_nothing(kernel):
    async def quick():
        return 1

    task = kernel.spawn(quick())
    kernel.run()
    assert task.cancel() is False
    assert task.result() == 1


def test_awaiting_a_cancelled_task_raises_cancelled_in_the_awaiter(kernel):
    async def sleeper():
        await kernel.sleep(10)

    async def waiter(task):
        try:
            await task
        except Cancelled:
            return "saw the cancel"

    task = kernel.spawn(sleeper())
    watcher = kernel.spawn(waiter(task))
    kernel.run(until=1)
    task.cancel()
    kernel.run()
    assert watcher.result() == "saw the cancel"


def test_cancel_owned_cancels_every_task_of_that_owner_and_no_other(kernel):
    log = []

    async def loop(tag):
        try:
            while True:
                await kernel.sleep(1)
        except Cancelled:
            log.append(f"{tag} cancelled at {kernel.now:g}")
            raise

    async def component():
        kernel.spawn(loop("worker-1"))        # inherits owner "kubelet"
        kernel.spawn(loop("worker-2"))
        await loop("main")

    kernel.spawn(component(), "kubelet", owner="kubelet")
    bystander = kernel.spawn(loop("bystander"), owner="scheduler")
    kernel.run(until=2.5)
    assert kernel.cancel_owned("kubelet") == 3
    kernel.run(until=5)
    assert log == ["main cancelled at 2.5", "worker-1 cancelled at 2.5", "worker-2 cancelled at 2.5"]
    assert not bystander.done()
    assert kernel.cancel_owned("kubelet") == 0
    assert kernel.cancel_owned("nobody") == 0


def test_cancel_owned_skips_tasks_of_that_owner_that_already_finished(kernel):
    async def quick():
        return 1

    async def slow():
        await kernel.sleep(5)

    kernel.spawn(quick(), owner="etcd")
    slow_task = kernel.spawn(slow(), owner="etcd")
    kernel.run(until=1)
    assert kernel.cancel_owned("etcd") == 1
    kernel.run()
    with pytest.raises(Cancelled):
        slow_task.result()


# -- sleep and ordering ---------------------------------------------------------
@pytest.mark.parametrize("delays, expected", [
    pytest.param([3, 1, 2], ["b@1", "c@2", "a@3"], id="tasks wake in order of their deadlines"),
    pytest.param([1, 1, 1], ["a@1", "b@1", "c@1"], id="tasks due at the same instant wake in the order they slept"),
    pytest.param([0, 0, 0], ["a@0", "b@0", "c@0"], id="zero sleeps yield and run in order without moving time"),
    pytest.param([2, 0, 2], ["b@0", "a@2", "c@2"], id="a zero sleep runs before any later deadline"),
    pytest.param([-1, 1, 0], ["a@0", "c@0", "b@1"], id="a negative sleep counts as zero"),
])
def test_sleep_order(kernel, delays, expected):
    log = []

    async def sleeper(tag, delay):
        await kernel.sleep(delay)
        log.append(f"{tag}@{kernel.now:g}")

    for tag, delay in zip("abc", delays):
        kernel.spawn(sleeper(tag, delay))
    kernel.run()
    assert log == expected


def test_same_instant_wakeups_follow_scheduling_order_not_sleep_length(kernel):
    log = []

    async def sleeper(tag, start, delay):
        await kernel.sleep(start)
        await kernel.sleep(delay)
        log.append(tag)

    # Both are due at t=1.0: "early" scheduled its wake-up at t=0, "late" at t=0.5.
    kernel.spawn(sleeper("late", 0.5, 0.5))
    kernel.spawn(sleeper("early", 0.0, 1.0))
    kernel.run()
    assert log == ["early", "late"]
    assert kernel.now == 1.0


def test_work_made_due_now_runs_after_everything_already_due_now(kernel):
    log = []
    gate = kernel.future()

    async def opener():
        await kernel.sleep(1)
        log.append("opener")
        gate.set_result("open")

    async def waiter():
        log.append("waiter got " + await gate)

    async def other():
        await kernel.sleep(1)
        log.append("other")

    kernel.spawn(waiter())
    kernel.spawn(opener())
    kernel.spawn(other())
    kernel.run()
    assert log == ["opener", "other", "waiter got open"]


# -- futures --------------------------------------------------------------------
def test_a_future_wakes_every_waiter_in_the_order_they_awaited(kernel):
    fut = kernel.future()
    log = []

    async def waiter(tag):
        log.append((tag, await fut, kernel.now))

    for tag in "xyz":
        kernel.spawn(waiter(tag))
    kernel.call_later(2.0, fut.set_result, 99)
    kernel.run()
    assert log == [("x", 99, 2.0), ("y", 99, 2.0), ("z", 99, 2.0)]


def test_a_future_keeps_its_first_outcome(kernel):
    fut = kernel.future()
    assert not fut.done()
    with pytest.raises(RuntimeError, match="not done"):
        fut.result()
    fut.set_result("first")
    fut.set_result("second")
    fut.set_exception(ValueError("late"))
    assert fut.done() and fut.result() == "first" and fut.exception() is None


def test_a_failed_future_raises_its_exception_in_the_awaiter(kernel):
    fut = kernel.future()
    fut.set_exception(KeyError("gone"))
    assert isinstance(fut.exception(), KeyError)

    async def waiter():
        try:
            await fut
        except KeyError as error:
            return f"caught {error}"

    assert kernel.run_until_complete(waiter()) == "caught 'gone'"


def test_awaiting_a_done_future_does_not_suspend(kernel):
    fut = kernel.future()
    fut.set_result(5)
    log = []

    async def first():
        log.append(await fut)
        log.append("first continues")

    async def second():
        log.append("second")

    kernel.spawn(first())
    kernel.spawn(second())
    kernel.run()
    assert log == [5, "first continues", "second"]


def test_a_done_callback_runs_soon_never_inside_add_done_callback(kernel):
    fut = kernel.future()
    fut.set_result("v")
    calls = []
    fut.add_done_callback(lambda f: calls.append(f.result()))
    assert calls == []
    kernel.run()
    assert calls == ["v"]


def test_call_later_runs_at_its_time_and_a_cancelled_handle_never_runs(kernel):
    calls = []
    kernel.call_later(2, calls.append, "kept")
    handle = kernel.call_later(1, calls.append, "cancelled")
    handle.cancel()
    kernel.run(until=1.5)
    assert calls == []
    kernel.run(until=3)
    assert calls == ["kept"]


# -- timeout --------------------------------------------------------------------
def test_timeout_fails_with_timeout_when_the_work_is_too_slow(kernel):
    async def slow():
        await kernel.sleep(5)
        return "late"

    async def caller():
        try:
            await kernel.timeout(slow(), 2, "list pods timed out")
        except Timeout as error:
            return f"{error} at {kernel.now:g}"

    assert kernel.run_until_complete(caller()) == "list pods timed out at 2"


def test_timeout_passes_the_result_through_when_done_in_time(kernel):
    async def quick():
        await kernel.sleep(1)
        return "ok"

    assert kernel.run_until_complete(kernel.timeout(quick(), 2)) == "ok"
    assert kernel.now == 1


def test_timeout_passes_an_exception_through_when_it_fails_in_time(kernel):
    async def broken():
        await kernel.sleep(1)
        raise ValueError("bad")

    async def caller():
        try:
            await kernel.timeout(broken(), 2)
        except ValueError as error:
            return f"{error} at {kernel.now:g}"

    assert kernel.run_until_complete(caller()) == "bad at 1"


def test_timeout_cancels_its_timer_when_done_in_time(kernel):
    fut = kernel.future()
    outer = kernel.timeout(fut, 2)
    kernel.call_later(1, fut.set_result, "in time")
    kernel.run(until=1)
    assert outer.result() == "in time"
    # White-box: the only thing left on the heap is the timeout's timer, cancelled.
    (when, _, run_handle, _), = kernel._heap
    assert when == 2 and run_handle.__self__.fn is None
    kernel.run(until=5)
    assert outer.result() == "in time"


def test_timeout_over_a_plain_future_and_a_sleep(kernel):
    never = kernel.future()
    outer = kernel.timeout(never, 3)
    kernel.run(until=10)
    assert isinstance(outer.exception(), Timeout)
    assert str(outer.exception()) == "timed out"
    assert kernel.run_until_complete(kernel.timeout(kernel.sleep(1), 2)) is None
    assert kernel.now == 11


def test_timeout_over_a_cancelled_task_raises_cancelled(kernel):
    async def sleeper():
        await kernel.sleep(10)

    task = kernel.spawn(sleeper())
    outer = kernel.timeout(task, 5)
    kernel.run(until=1)
    task.cancel()
    kernel.run(until=2)
    assert isinstance(outer.exception(), Cancelled)


# -- queue ------------------------------------------------------------------------
def test_a_queue_is_first_in_first_out(kernel):
    queue = kernel.queue()
    for item in ["a", "b", "c"]:
        queue.put(item)
    assert len(queue) == 3
    assert queue.get_nowait() == "a"

    async def drain():
        return [await queue.get(), await queue.get()]

    assert kernel.run_until_complete(drain()) == ["b", "c"]
    assert len(queue) == 0
    with pytest.raises(IndexError):
        queue.get_nowait()


def test_waiting_getters_are_served_in_the_order_they_waited(kernel):
    queue = kernel.queue()
    log = []

    async def getter(tag):
        item = await queue.get()
        log.append((tag, item, kernel.now))

    for tag in ["g1", "g2", "g3"]:
        kernel.spawn(getter(tag))
    kernel.run(until=1)
    assert log == []
    for item in [10, 20]:
        queue.put(item)
    kernel.run(until=2)
    queue.put(30)
    queue.put(40)
    kernel.run(until=3)
    assert log == [("g1", 10, 1.0), ("g2", 20, 1.0), ("g3", 30, 2.0)]
    assert len(queue) == 1 and queue.get_nowait() == 40


def test_a_getter_cancelled_while_waiting_does_not_swallow_the_next_item(kernel):
    queue = kernel.queue()

    async def getter():
        return await queue.get()

    abandoned = kernel.spawn(getter())
    kernel.run(until=1)
    abandoned.cancel()
    kernel.run(until=2)
    queue.put("work")
    kernel.run()
    assert len(queue) == 1 and queue.get_nowait() == "work"


def test_a_get_that_timed_out_does_not_swallow_the_next_item(kernel):
    queue = kernel.queue()

    async def get_with_deadline():
        try:
            return await kernel.timeout(queue.get(), 1)
        except Timeout:
            return "timed out"

    assert kernel.run_until_complete(get_with_deadline()) == "timed out"
    queue.put("work")

    async def get():
        return await queue.get()

    assert kernel.run_until_complete(get(), limit=5) == "work"


# -- running ----------------------------------------------------------------------
@pytest.mark.parametrize("timers, seconds, expected_now, expected_fired", [
    pytest.param([], 5.0, 5.0, [], id="an idle kernel still advances exactly to the target"),
    pytest.param([1.0, 2.0], 5.0, 5.0, [1.0, 2.0], id="timers before the target fire and time ends at the target"),
    pytest.param([5.0], 5.0, 5.0, [5.0], id="a timer due exactly at the target fires"),
    pytest.param([2.0, 7.0], 5.0, 5.0, [2.0], id="a timer after the target waits for the next run"),
    pytest.param([0.25], 0.1, 0.1, [], id="a short run stops before a later timer"),
])
def test_run_for_seconds(kernel, timers, seconds, expected_now, expected_fired):
    fired = []
    for delay in timers:
        kernel.call_later(delay, lambda _: fired.append(kernel.now))
    kernel.run(seconds=seconds)
    assert kernel.now == expected_now
    assert fired == expected_fired


def test_successive_runs_accumulate_virtual_time(kernel):
    for _ in range(4):
        kernel.run(seconds=2.5)
    kernel.run(until=12)
    assert kernel.now == 12.0
    kernel.run(until=3)      # the past: time never goes back
    assert kernel.now == 12.0


def test_run_until_complete_returns_when_done_without_running_later_work(kernel):
    later = []
    kernel.call_later(100, later.append, "late")

    async def work():
        await kernel.sleep(2)
        return "done"

    assert kernel.run_until_complete(work()) == "done"
    assert kernel.now == 2 and later == []


def test_run_until_complete_raises_timeout_when_not_done_within_the_limit(kernel):
    async def slow():
        await kernel.sleep(50)
        return "late"

    task = kernel.spawn(slow())
    with pytest.raises(Timeout, match="not done after 10 virtual seconds"):
        kernel.run_until_complete(task, limit=10)
    assert not task.done()
    assert kernel.run_until_complete(task, limit=100) == "late"
    assert kernel.now == 50


def test_run_until_complete_raises_timeout_on_a_deadlock(kernel):
    with pytest.raises(Timeout):
        kernel.run_until_complete(kernel.future(), limit=10)


def test_an_unawaited_task_that_raises_makes_run_raise_task_failed(kernel):
    async def crasher():
        await kernel.sleep(1)
        raise ZeroDivisionError("division by zero")

    kernel.spawn(crasher(), "crasher")
    with pytest.raises(TaskFailed, match="task 'crasher' died: ZeroDivisionError: division by zero") as info:
        kernel.run(until=5)
    assert isinstance(info.value.__cause__, ZeroDivisionError)
    assert kernel.now == 1
    kernel.run(until=5)      # the failure was reported once; the kernel carries on
    assert kernel.now == 5


def test_an_awaited_task_that_raises_does_not_make_run_raise(kernel):
    async def crasher():
        raise ZeroDivisionError()

    async def supervisor():
        try:
            await kernel.spawn(crasher())
        except ZeroDivisionError:
            return "handled"

    task = kernel.spawn(supervisor())
    kernel.run()
    assert task.result() == "handled"


def test_run_until_complete_raises_the_awaited_exception_itself(kernel):
    async def main():
        raise KeyError("missing")

    with pytest.raises(KeyError):
        kernel.run_until_complete(main())


def test_the_seeded_rng_repeats_for_the_same_seed_and_differs_for_another():
    def draws(seed):
        rng = Kernel(seed=seed).rng
        return [rng.random() for _ in range(3)]

    assert draws(7) == draws(7)
    assert draws(7) != draws(8)


def test_steps_and_pending_count_scheduled_callbacks(kernel):
    async def sleeper():
        await kernel.sleep(1)

    kernel.spawn(sleeper())
    kernel.spawn(sleeper())
    assert kernel.pending() == 2
    kernel.run()
    # two starts, two timer wake-ups
    assert kernel.steps == 4 and kernel.pending() == 0
