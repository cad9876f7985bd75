"""Every interleaving of a model of parallel_for's outside forks
(pools/parallel_for.hpp, auto_loop::outside_forks) over their group count
(pools/detail/group_counter.hpp).

A thread outside the pool forks `pieces` pieces: each a node {claimed flag,
two references} and a ticket submitted to the pool. Whoever first sets
`claimed` (the ticket on a worker, or the forker in its join, newest first,
when it claims back) runs the piece and counts it finished as its last
access to the loop; each side drops its reference, and the last one frees
the node. The forker then waits for the count to reach zero, sleeping on
it with the sleeper bit set, and returns: the loop's frame, the count
with it, is gone.

Checked, over every order of the steps (one shared access a step,
sequential consistency; the header names each ordering's partner):
every piece runs exactly once and before the forker returns, no node is
touched after it is freed and each is freed once, and the forker never
sleeps forever. Each ticket is a thread of its own: a worker that runs
several tickets runs them in one of these orders. The wake-up after the
last finish touches the count's address only (a futex key), so it may
come after the frame is gone.

Variants, each kept because the search must find where it breaks:
  load_then_store   the claim as a load and a store, not one exchange:
                    both sides run the piece, the count reaches zero a
                    finish early, and the forker returns while the other
                    run goes on.
  finish_first      the piece counted finished before it runs: the forker
                    returns while a worker still runs its piece.
  plain_sleep       the forker sleeps on the count without setting the
                    sleeper bit first: the last finish wakes nobody.
"""

import pytest

from search import explain, stuck_state

CURRENT, LOAD_THEN_STORE = "current", "load_then_store"
FINISH_FIRST, PLAIN_SLEEP = "finish_first", "plain_sleep"


class Broken(Exception):
    """A step that breaks the invariant (the search reports the state)."""


class Model:
    def __init__(self, protocol, pieces, claim_back):
        self.protocol, self.pieces, self.claim_back = protocol, pieces, claim_back

    # State: g: count and sleeper (the group count's word), claimed, refs,
    # freed and ran (one entry a node), alive (the loop's frame), fpc and
    # fregs (the forker's pc and registers), broken (what went wrong).
    # Tickets: (pc, registers, blocked) each; "unsubmitted" until forked.
    def initial(self):
        n = self.pieces
        g = dict(count=0, sleeper=False, claimed=(False,) * n, refs=(2,) * n,
                 freed=(False,) * n, ran=(0,) * n, alive=True, fpc=("fork", 0), fregs=(),
                 broken="")
        return self.freeze(g, [("unsubmitted", (), False)] * n)

    @staticmethod
    def freeze(g, ts):
        return tuple(sorted(g.items())), tuple(ts)

    @staticmethod
    def put(g, key, k, value):
        v = list(g[key])
        v[k] = value
        g[key] = tuple(v)

    def touch(self, g, k):
        if g["freed"][k]:
            raise Broken(f"node {k} touched after it was freed")

    def run_piece(self, g, k):
        if not g["alive"]:
            raise Broken(f"piece {k} runs after the forker returned")
        self.put(g, "ran", k, g["ran"][k] + 1)

    def release(self, g, k):
        self.touch(g, k)
        self.put(g, "refs", k, g["refs"][k] - 1)
        if g["refs"][k] == 0:
            self.put(g, "freed", k, True)

    def finish(self, g):
        """group_counter::finish(): whether it must wake the sleeper."""
        if not g["alive"]:
            raise Broken("a finish after the forker returned")
        g["count"] -= 1
        if g["count"] < 0:
            raise Broken("more finishes than pieces")
        return g["count"] == 0 and g["sleeper"]

    def claim(self, g, k):
        """The claim's first step, for the forker and a ticket alike: the
        next step and its registers. One exchange decides: "run" or
        "release". load_then_store's load leads to "store" (claim_store())."""
        self.touch(g, k)
        if self.protocol == LOAD_THEN_STORE:
            return "store", (g["claimed"][k],)
        won = not g["claimed"][k]
        self.put(g, "claimed", k, True)
        return ("run" if won else "release"), ()

    def claim_store(self, g, k, seen):
        """load_then_store's second step, the store: "run" or "release"."""
        self.put(g, "claimed", k, True)
        return "release" if seen else "run"

    # The forker: fork every piece, join them newest first, wait, return.
    def forker_steps(self, g, ts):
        pc, regs = g["fpc"], g["fregs"]
        if pc == "done":
            return []
        step, k = pc if isinstance(pc, tuple) else (pc, None)
        outs = []

        def go(g2, npc, nregs=(), t2=ts):
            g2["fpc"], g2["fregs"] = npc, nregs
            outs.append(self.freeze(g2, t2))

        if step == "fork":  # the node, the count's add(), the ticket's submit
            if k == self.pieces:
                go(g, ("join", self.pieces - 1))
            else:
                g["count"] += 1
                t2 = list(ts)
                t2[k] = ("claim", (), False)
                go(g, ("fork", k + 1), (), t2)
        elif step == "join":
            if k < 0:
                go(g, "sleep_mark")
            elif not self.claim_back:
                go(g, ("release", k))
            else:
                nxt, nregs = self.claim(g, k)
                go(g, (nxt, k), nregs)
        elif step == "store":  # load_then_store's second half
            go(g, (self.claim_store(g, k, regs[0]), k))
        elif step == "run":
            self.run_piece(g, k)
            self.finish(g)  # the sleeper is this thread: nobody to wake
            go(g, ("release", k))
        elif step == "release":
            self.release(g, k)
            go(g, ("join", k - 1))
        elif step == "sleep_mark":  # sleep_until_zero(): fetch_or the bit
            if self.protocol != PLAIN_SLEEP:
                g["sleeper"] = True
            go(g, "sleep_test", (g["count"], g["sleeper"]))
        elif step == "sleep_test":
            count, sleeper = regs
            if count == 0:
                go(g, "return")
            elif (g["count"], g["sleeper"]) == (count, sleeper):
                go(g, "asleep", regs)  # the futex wait compares and blocks
            else:
                go(g, "sleep_test", (g["count"], g["sleeper"]))
        elif step == "asleep":
            return []  # woken only by a ticket's notify (ticket_steps)
        elif step == "return":
            g["sleeper"] = False
            g["alive"] = False
            go(g, "done")
        return outs

    # Ticket k: claim, run and finish, release; the wake-up after.
    def ticket_steps(self, g, ts):
        outs = []
        for k, (pc, regs, _) in enumerate(ts):
            if pc in ("unsubmitted", "exited"):
                continue
            g2, t2 = dict(g), list(ts)

            def go(npc, nregs=()):
                t2[k] = (npc, nregs, False)
                outs.append(self.freeze(g2, t2))

            if pc == "claim":
                go(*self.claim(g2, k))
            elif pc == "store":
                go(self.claim_store(g2, k, regs[0]))
            elif pc == "run":
                if self.protocol == FINISH_FIRST:
                    go("late_run", (self.finish(g2),))
                else:
                    self.run_piece(g2, k)
                    go("finish")
            elif pc == "late_run":
                self.run_piece(g2, k)
                go("wake" if regs[0] else "release")
            elif pc == "finish":  # finish(): the decrement, then the wake-up
                go("wake" if self.finish(g2) else "release")
            elif pc == "wake":  # notify_all on the count's address
                if g2["fpc"] == "asleep":
                    g2["fpc"] = "sleep_test"
                    g2["fregs"] = (g2["count"], g2["sleeper"])
                go("release")
            elif pc == "release":
                self.release(g2, k)
                go("exited")
        return outs

    def successors(self, state):
        if dict(state[0])["broken"]:
            return []
        outs = []
        for steps in (self.forker_steps, self.ticket_steps):
            g, ts = dict(state[0]), list(state[1])
            try:
                outs.extend(steps(g, ts))
            except Broken as e:
                g = dict(state[0])
                g["broken"] = str(e)
                outs.append(self.freeze(g, list(state[1])))
        return outs

    def unfinished(self, state):
        g, ts = dict(state[0]), state[1]
        return (g["broken"] != "" or g["fpc"] != "done" or any(r != 1 for r in g["ran"]) or
                not all(g["freed"]) or any(t[0] != "exited" for t in ts))

    def violation(self):
        return stuck_state(self.initial(), self.successors, self.unfinished)


@pytest.mark.parametrize("pieces", [1, 2, 3])
@pytest.mark.parametrize("claim_back", [True, False])
def test_every_piece_runs_once_and_every_node_is_freed_once(pieces, claim_back):
    path, states = Model(CURRENT, pieces, claim_back).violation()
    assert path is None, "broken:\n" + explain(path)
    assert states > 10  # the search went somewhere


@pytest.mark.parametrize("protocol,claim_back", [
    (LOAD_THEN_STORE, True), (FINISH_FIRST, False), (PLAIN_SLEEP, False),
])
def test_the_search_finds_each_variants_break(protocol, claim_back):
    path, _ = Model(protocol, 2, claim_back).violation()
    assert path is not None
