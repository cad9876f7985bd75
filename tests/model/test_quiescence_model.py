"""Every interleaving of a model of work_stealing's quiescence protocol
(pools/work_stealing/quiescence.hpp, Q1-Q5): the pending count C that an
outside wait() returns on.

Invariant checked in every state: when C is zero, no job is queued (in the
injection queue or a deque), running, or held by a thief; and C is never
below zero. So a wait() that reads zero has nothing left to wait for. And
once every job has run and every worker is idle, C is zero: a wait()
returns. The
search explores every order of the threads' steps, one shared-memory
access per step, under sequential consistency (Q4 and Q5 order their
steps with seq_cst operations and a fence; quiescence.hpp argues the
order).

The model:
  submitter  publishes `jobs` outside jobs: C += 1, then the enqueue (Q1).
  job        an outside job pushes one child onto its worker's deque
             (Q3: nothing counted) and finishes; a child just finishes.
             Starting and finishing are separate steps.
  worker     pops its own deque (newest first); else looks: claims one job,
             or one and a batch of one more, from the injection queue (Q2:
             an idle worker's first job becomes its unit, the rest
             surplus; a busy worker's all surplus), or steals the oldest
             job of another deque (Q4: an idle thief counts itself before
             its compare-and-swap and takes the count back when the steal
             fails; a busy one counts nothing); else, when busy, reads its
             deque empty and goes idle (Q5: C -= 1 + surplus).

Variants, each kept because the search must find where it breaks the
invariant:
  count_after_steal  an idle thief counts itself only once its steal has
                     succeeded (Q4 without its order): the victim's last
                     job is stolen, the victim goes idle, and C is zero
                     while the thief holds the job.
  first_as_surplus   an idle worker's claim counts its first job as surplus
                     too: its Q5 takes one unit too many, and C reaches
                     zero while another job is queued.
  batch_uncounted    a busy worker's claim adds nothing to its surplus: its
                     Q5 leaves the batch's units in C, which never returns
                     to zero, and a wait() never returns.
"""

import pytest

from search import explain, stuck_state

CURRENT, COUNT_AFTER_STEAL = "current", "count_after_steal"
FIRST_AS_SURPLUS, BATCH_UNCOUNTED = "first_as_surplus", "batch_uncounted"


class Model:
    def __init__(self, protocol, workers, jobs):
        self.protocol, self.workers, self.jobs = protocol, workers, jobs

    # State: g as a sorted tuple of items: C, inj (jobs in the injection
    # queue), deqs (each worker's deque, oldest first: "o" an outside job,
    # "c" a child), sub (jobs published; the submitter's pc in dpc). One
    # (pc, held job, busy, surplus) per worker.
    def initial(self):
        g = dict(C=0, inj=0, deqs=((),) * self.workers, sub=0, dpc="add")
        return self.freeze(g, [("top", None, False, 0)] * self.workers)

    @staticmethod
    def freeze(g, ws):
        return tuple(sorted(g.items())), tuple(ws)

    def driver_steps(self, g, ws):
        if g["sub"] == self.jobs:
            return []
        if g["dpc"] == "add":  # Q1
            g["C"] += 1
            g["dpc"] = "enqueue"
        else:
            g["inj"] += 1
            g["sub"] += 1
            g["dpc"] = "add"
        return [self.freeze(g, ws)]

    def worker_steps(self, g, ws):
        outs = []
        for i, (pc, held, busy, surplus) in enumerate(ws):

            def go(g2, npc, nheld=held, nbusy=busy, nsurplus=surplus):
                w2 = list(ws)
                w2[i] = (npc, nheld, nbusy, nsurplus)
                outs.append(self.freeze(g2, w2))

            def with_deque(g2, j, d):
                deqs = list(g2["deqs"])
                deqs[j] = d
                g2["deqs"] = tuple(deqs)
                return g2

            g2 = dict(g)
            own = g2["deqs"][i]
            if pc == "top":
                if own:  # a pop: Q3
                    go(with_deque(g2, i, own[:-1]), "finish", own[-1])
                else:
                    go(g2, "look")
            elif pc == "finish":  # the held job runs to its end
                if held == "o":  # its child onto our deque: Q3
                    with_deque(g2, i, own + ("c",))
                go(g2, "top", None)
            elif pc == "look":
                if g2["inj"] > 0:  # Q2, one job or a batch of two
                    for k in (1, 2) if g2["inj"] > 1 else (1,):
                        g3 = dict(g2)
                        g3["inj"] -= k
                        if k == 2:
                            with_deque(g3, i, own + ("o",))
                        counted = 0 if (busy and self.protocol == BATCH_UNCOUNTED) else k
                        own_unit = 0 if busy or self.protocol == FIRST_AS_SURPLUS else 1
                        go(g3, "finish", "o", True, surplus + counted - own_unit)
                for j, d in enumerate(g2["deqs"]):
                    if j != i and d:
                        if busy or self.protocol == COUNT_AFTER_STEAL:
                            go(dict(g2), ("cas", j, False))
                        else:
                            g3 = dict(g2)
                            g3["C"] += 1  # Q4: before the compare-and-swap
                            go(g3, ("cas", j, True))
                if busy:
                    go(g2, "idle")  # found nothing
            elif pc[0] == "cas":  # Q4's steal of victim j's oldest job
                _, j, announced = pc
                d = g2["deqs"][j]
                if d:
                    with_deque(g2, j, d[1:])
                    if not busy and not announced:  # count_after_steal: later
                        go(g2, "late_count", d[0], True)
                    else:
                        go(g2, "finish", d[0], True)
                else:
                    if announced:
                        g2["C"] -= 1
                    go(g2, "top")
            elif pc == "late_count":  # count_after_steal's increment
                g2["C"] += 1
                go(g2, "finish")
            elif pc == "idle":  # Q5, the deque read empty just before
                if not own:
                    g2["C"] -= 1 + surplus
                    go(g2, "top", None, False, 0)
                else:
                    go(g2, "top")
            else:
                raise AssertionError(pc)
        return outs

    def successors(self, state):
        gs, ws = state
        return self.driver_steps(dict(gs), list(ws)) + self.worker_steps(dict(gs), list(ws))

    @staticmethod
    def broken(state):
        """Whether the invariant fails here: C below zero, or zero with
        work left."""
        g = dict(state[0])
        if g["C"] < 0:
            return True
        left = g["inj"] > 0 or any(g["deqs"]) or any(w[1] is not None for w in state[1])
        return g["C"] == 0 and left

    def violation(self):
        """A state that breaks the invariant and the path to it, or None;
        and the states seen. A broken state ends its path; so does one
        where nothing can move, every job run and every worker idle, which
        breaks the invariant unless C is zero there."""
        return stuck_state(self.initial(), lambda s: [] if self.broken(s) else self.successors(s),
                           lambda s: self.broken(s) or dict(s[0])["C"] != 0)


@pytest.mark.parametrize("workers,jobs", [(1, 2), (2, 2), (2, 3), (3, 2)])
def test_a_zero_count_means_no_work_is_left(workers, jobs):
    path, states = Model(CURRENT, workers, jobs).violation()
    assert path is None, "C == 0 with work left:\n" + explain(path)
    assert states > 40  # the search went somewhere


@pytest.mark.parametrize("protocol", [COUNT_AFTER_STEAL, FIRST_AS_SURPLUS, BATCH_UNCOUNTED])
def test_the_search_finds_each_variants_broken_count(protocol):
    path, _ = Model(protocol, 2, 2).violation()
    assert path is not None
