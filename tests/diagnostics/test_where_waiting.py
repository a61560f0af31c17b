"""Where an agent's tasks and threads wait: what SIGUSR1 and an overdue action log."""

from __future__ import annotations

import asyncio

import pytest

from hafailover.diagnostics import await_chain, describe_tasks, thread_stacks

pytestmark = pytest.mark.tier0


async def innermost(event: asyncio.Event) -> None:
    await event.wait()


async def outer(event: asyncio.Event) -> None:
    await innermost(event)


async def waits_for_task(task: asyncio.Task[None]) -> None:
    await task


def chain_while_waiting(waits_for_other_task: bool) -> list[str]:
    """The await chain of a task suspended in ``outer`` (or in ``waits_for_task`` on a
    task suspended there), taken while it waits."""
    async def main() -> list[str]:
        event = asyncio.Event()
        task = asyncio.create_task(outer(event), name="the inner one")
        if waits_for_other_task:
            task = asyncio.create_task(waits_for_task(task), name="waiting")
        await asyncio.sleep(0)
        chain = await_chain(task)
        event.set()
        await task
        return chain

    return asyncio.run(main())


def test_the_chain_follows_awaits_into_the_innermost_coroutine() -> None:
    chain = chain_while_waiting(waits_for_other_task=False)
    functions = [frame.split(" in ")[-1] for frame in chain[:-1]]
    assert functions == ["outer", "innermost", "wait"]
    assert chain[0].startswith("test_where_waiting.py:")
    assert chain[-1] == "waiting for Future"


def test_a_task_waiting_for_another_task_names_it() -> None:
    chain = chain_while_waiting(waits_for_other_task=True)
    assert chain[-1] == "waiting for task 'the inner one'"


def test_every_unfinished_task_is_described_and_finished_ones_are_not() -> None:
    async def main() -> list[dict[str, object]]:
        event = asyncio.Event()
        waiting = asyncio.create_task(outer(event), name="still waiting")
        done = asyncio.create_task(asyncio.sleep(0), name="finished")
        await done
        await asyncio.sleep(0)
        described = describe_tasks()
        event.set()
        await waiting
        return described

    names = [d["task"] for d in asyncio.run(main())]
    assert "still waiting" in names and "finished" not in names


def test_thread_stacks_name_each_thread_with_its_frames() -> None:
    stacks = {s["thread"]: s["stack"] for s in thread_stacks()}
    assert "MainThread" in stacks
    main = stacks["MainThread"]
    assert isinstance(main, list) and main[-1].endswith("in thread_stacks")
