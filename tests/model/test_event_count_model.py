"""Every interleaving of a model of event_count's protocol (pools/parking.hpp).

The model runs threads step by step, one shared-memory access per step, in
every order (sequential consistency: event_count's seq_cst operations and
fences give its protocol that order; the header argues each one). A futex
wait compares the word and blocks in one step; a futex wake unblocks one
blocked thread, any of them, or all. A breadth-first search over the states
reports a state where no thread can move although work is left or a thread
has not finished: a lost wake-up, with the path that leads to it.

Two harnesses, each the shape of a real user:
  ping_pong  primitives_test's hunt: a producer adds one token, notifies,
             and waits until a sleeper has taken it, round after round.
  shutdown   queue_pool's worker loop: jobs published with notify_one, the
             queue drained, then a stop flag and notify_all; every worker
             must leave.

The protocol as written passes both. Two earlier designs are kept as
variants, each with the harness that finds its lost wake-up, so the search
is shown to find what it is meant to find:
  epoch          commit_wait() slept on an epoch read in prepare_wait(),
                 without looking for a pending signal (found by ping_pong);
  greedy_cancel  the protocol as written, but with a cancel_wait() that
                 takes a pending signal whenever there is one (found by
                 shutdown).
"""

import pytest

from search import explain, stuck_state

CURRENT, EPOCH, GREEDY_CANCEL = "current", "epoch", "greedy_cancel"


class Model:
    """Shared state: stock (work), w and sig (m_state's waiters and signals),
    epoch (the futex word), stopping, taken, and the driver's own registers.
    Each waiter: (pc, what it read, blocked); what it read is the epoch
    (EPOCH's key from prepare_wait) or the epoch and (w, sig) (commit_wait's
    two reads)."""

    def __init__(self, protocol, harness, waiters, rounds):
        self.protocol, self.harness = protocol, harness
        self.waiters, self.rounds = waiters, rounds

    # ---- the protocol's steps, as successor functions over (g, threads) ----

    def cancel(self, g):
        g["w"] -= 1
        if self.protocol == CURRENT:
            if g["sig"] > g["w"]:  # every waiter had a signal
                g["sig"] -= 1
        elif g["sig"] > 0:
            g["sig"] -= 1

    def initial(self):
        g = dict(stock=0, taken=0, w=0, sig=0, epoch=0, stopping=False,
                 dpc="publish", seen=None, after=None, n=0)
        return self.freeze(g, [("start", None, False)] * self.waiters)

    @staticmethod
    def freeze(g, threads):
        return tuple(sorted(g.items())), tuple(threads)

    def successors(self, state):
        gs, ts = state
        out = []
        for make in (self.driver_steps, self.waiter_steps):
            out.extend(make(dict(gs), list(ts)))
        return out

    def notify_steps(self, g, ts, all_, then):
        """notify_one()/notify_all() from register 'seen' on; 'then' is the
        driver's next pc. Returns successor states."""
        pc = g["dpc"]
        outs = []
        if pc == "n_load":
            g["seen"] = (g["w"], g["sig"])
            g["dpc"] = "n_test"
            return [self.freeze(g, ts)]
        if pc == "n_test":
            w, sig = g["seen"]
            idle = (w == 0) if (all_ and self.protocol == EPOCH) else (w == sig)
            g["dpc"] = then if idle else "n_cas"
            return [self.freeze(g, ts)]
        if pc == "n_cas":
            if (g["w"], g["sig"]) != g["seen"]:
                g["dpc"] = "n_load"
            else:
                g["sig"] = g["w"] if all_ else g["sig"] + 1
                g["dpc"] = "n_bump"
            return [self.freeze(g, ts)]
        if pc == "n_bump":
            g["epoch"] += 1
            g["dpc"] = "n_wake"
            return [self.freeze(g, ts)]
        if pc == "n_wake":
            g["dpc"] = then
            blocked = [i for i, t in enumerate(ts) if t[2]]
            if all_ or not blocked:
                ts = [(p, k, False) for p, k, _ in ts]
                return [self.freeze(g, ts)]
            for i in blocked:  # futex_wake(1) picks any one
                t2 = list(ts)
                t2[i] = (ts[i][0], ts[i][1], False)
                outs.append(self.freeze(dict(g), t2))
            return outs
        raise AssertionError(pc)

    def driver_steps(self, g, ts):
        pc = g["dpc"]
        if pc == "done":
            return []
        if pc.startswith("n_"):
            stopping = self.harness == "shutdown" and g["stopping"]
            return self.notify_steps(g, ts, all_=stopping,
                                     then="done" if stopping else g["after"])
        if pc == "publish":
            if g["n"] == self.rounds:
                if self.harness == "ping_pong":
                    g["dpc"] = "done"
                    return [self.freeze(g, ts)]
                g["dpc"] = "drain"
                return [self.freeze(g, ts)]
            g["stock"] += 1
            g["n"] += 1
            g["dpc"], g["after"] = "n_load", ("await" if self.harness == "ping_pong" else "publish")
            return [self.freeze(g, ts)]
        if pc == "await":  # ping_pong: until the token is taken
            if g["taken"] != g["n"]:
                return []
            g["dpc"] = "publish"
            return [self.freeze(g, ts)]
        if pc == "drain":  # shutdown: the pool stops once no job is left
            if g["stock"] != 0:
                return []
            g["stopping"] = True
            g["dpc"], g["after"] = "n_load", "done"
            return [self.freeze(g, ts)]
        raise AssertionError(pc)

    def waiter_steps(self, g, ts):
        outs = []
        for i, (pc, saved, blocked) in enumerate(ts):
            if blocked or pc == "exited":
                continue
            g2, t2 = dict(g), list(ts)

            def go(npc, nsaved=saved, block=False):
                t2[i] = (npc, nsaved, block)
                outs.append(self.freeze(g2, t2))

            if pc == "start":  # take work while there is some
                if g2["stock"] > 0:
                    g2["stock"] -= 1
                    g2["taken"] += 1
                    go("start")
                else:
                    go("prepare")
            elif pc == "prepare":
                g2["w"] += 1
                go("key" if self.protocol == EPOCH else "recheck")
            elif pc == "key":
                go("recheck", g2["epoch"])
            elif pc == "recheck":
                if g2["stock"] > 0:  # found work: cancel, take it
                    self.cancel(g2)
                    go("start")
                elif self.harness == "shutdown" and g2["stopping"]:
                    self.cancel(g2)
                    go("exited")
                else:
                    go("commit")
            elif pc == "commit":
                go("sleep" if self.protocol == EPOCH else "ckey")
            elif pc == "ckey":  # commit_wait(): the epoch first, then the signals
                go("check", (g2["epoch"], None))
            elif pc == "check":
                go("take" if g2["sig"] > 0 else "sleep", (saved[0], (g2["w"], g2["sig"])))
            elif pc == "take":  # the CAS that takes a signal
                if (g2["w"], g2["sig"]) == saved[1]:
                    g2["w"] -= 1
                    g2["sig"] -= 1
                    go("start")  # searches after leaving
                else:
                    go("check")
            elif pc == "sleep":  # std::atomic::wait(key): returns once the epoch differs
                key = saved if self.protocol == EPOCH else saved[0]
                if g2["epoch"] == key:
                    go("sleep", block=True)
                elif self.protocol == EPOCH:
                    self.cancel(g2)  # its leave(): a signal if one is pending
                    go("start")
                else:
                    go("ckey")
            else:
                raise AssertionError(pc)
        return outs

    def lost_wake_up(self):
        """A stuck state and the path to it, or None."""
        def unfinished(state):
            g = dict(state[0])
            return g["dpc"] != "done" or g["stock"] != 0 or (
                self.harness == "shutdown" and any(t[0] != "exited" for t in state[1]))
        return stuck_state(self.initial(), self.successors, unfinished)[0]


@pytest.mark.parametrize("harness,waiters,rounds", [
    ("ping_pong", 1, 4), ("ping_pong", 2, 3),
    ("shutdown", 1, 2), ("shutdown", 2, 2),
])
def test_the_protocol_never_sleeps_through_work(harness, waiters, rounds):
    path = Model(CURRENT, harness, waiters, rounds).lost_wake_up()
    assert path is None, "lost wake-up:\n" + explain(path)


@pytest.mark.parametrize("variant,harness,waiters,rounds", [
    (EPOCH, "ping_pong", 1, 2), (GREEDY_CANCEL, "shutdown", 2, 1),
])
def test_the_search_finds_the_earlier_designs_lost_wake_ups(variant, harness, waiters, rounds):
    assert Model(variant, harness, waiters, rounds).lost_wake_up() is not None
