"""Every interleaving of a model of work_stealing's idle protocol
(pools/work_stealing/idle.hpp, steps 1-6, with the worker loop of
pools/work_stealing/worker_loop.hpp around it).

Invariant checked: no job waits forever while the workers that could run
it sleep, and at shutdown every worker leaves. The search explores every
order of the threads' steps, one shared-memory access per step, under
sequential consistency (the protocol's seq_cst fences order each relaxed
access it relies on; idle.hpp argues each). A state where no thread can
move while a job is unrun or a worker has not left is a lost wake-up,
reported with the path that leads to it.

The model:
  submitter  publishes `jobs` outside jobs to the injection queue, each
             followed by step 4 (read the searchers' count; when it is zero,
             notify one sleeper); then waits until every job has run, and
             stops the pool (step 6: the stop flag, then notify all).
  worker     pops its own deque (newest first); else takes a quick look
             (one job from the injection queue, with or without a batch of
             one more into its own deque, or a steal from another deque's
             oldest end; or, as a look at only a few victims may, nothing)
             and hands the search on (step 2); else goes idle: step 1's
             may_search() (half the search limit, min(workers, cores), and
             one more briefly), a counted search that polls (takes what it
             finds, or gives up at any moment, its budget spent), step 2's
             end_search_found(), step 3's park(), or park_unsearched();
             sleeps; after a wake-up it reads the stop flag and starts
             again at its deque.
  sleep      event_count as its own model (test_event_count_model.py)
             shows it behaves: prepare_wait() registers a waiter,
             notify_one() counts a signal when some waiter has none and
             wakes one sleeper, a waiter takes a pending signal instead of
             sleeping, cancel_wait() takes one only when every waiter has
             one.
  scans      work_visible() reads the injection queue, then each deque, one
             step each: a job can move behind the scan.
Two kinds of job, each the shape of a real user:
  children   an outside job pushes one child onto its worker's deque and
             runs step 5 (sleepers and no searcher: notify one); a child
             pushes nothing.
  barrier    every outside job waits until all of them have started (the
             64 jobs of idle.hpp's step 2 that block until all run, at
             model size): a job moved into a deque by a batch waits there
             while its worker blocks, for another worker to be woken.

Variants, each kept because the search must find its lost wake-up, or
show that it has none:
  no_last_recheck    park() without the last searcher's re-check: a
                     submitter that read one searcher left its job to it,
                     and that searcher had already looked (children).
  no_quick_hand_on   step 2 dropped for a quick look, and
  no_search_hand_on  dropped for a counted searcher: a batch waits in the
                     deque of a worker whose job blocks (barrier).
  no_local_wake      step 5 dropped: passes, as idle.hpp says ("a missed
                     wake-up there only costs parallelism, never a job": the
                     owner pops its deque before it ever parks).
"""

import pytest

from search import explain, stuck_state

CURRENT, NO_LAST_RECHECK, NO_LOCAL_WAKE = "current", "no_last_recheck", "no_local_wake"
NO_QUICK_HAND_ON, NO_SEARCH_HAND_ON = "no_quick_hand_on", "no_search_hand_on"
CHILDREN, BARRIER = "children", "barrier"


class Model:
    def __init__(self, protocol, workers, jobs, harness=CHILDREN, cores=None):
        self.protocol, self.workers, self.jobs, self.harness = protocol, workers, jobs, harness
        # Each outside job and its child, or the outside jobs alone.
        self.total = 2 * jobs if harness == CHILDREN else jobs
        self.limit = min(workers, cores or workers)  # m_search_limit

    # State: g (shared) as a sorted tuple of items; one (pc, regs, blocked)
    # per worker. g: inj (jobs in the injection queue), deqs (each worker's
    # deque, oldest first: "o" an outside job, "c" a child), searching,
    # w and sig (the event count's waiters and signals), ran, stopping,
    # started (barrier: outside jobs begun), dpc and sub (the submitter's pc
    # and jobs published).
    def initial(self):
        g = dict(inj=0, deqs=((),) * self.workers, searching=0, w=0, sig=0, ran=0,
                 started=0, stopping=False, dpc="publish", sub=0)
        return self.freeze(g, [("top", (), False)] * self.workers)

    @staticmethod
    def freeze(g, ts):
        return tuple(sorted(g.items())), tuple(ts)

    # ---- the event count, as its model shows it behaves ----

    @staticmethod
    def notify_one(g, ts):
        """Successor worker lists (g updated in place): a signal counted
        when some waiter has none, and one sleeper woken (any)."""
        if g["sig"] >= g["w"]:
            return [ts]
        g["sig"] += 1
        blocked = [i for i, t in enumerate(ts) if t[2]]
        if not blocked:
            return [ts]
        outs = []
        for i in blocked:
            t2 = list(ts)
            t2[i] = ("commit", ts[i][1], False)
            outs.append(t2)
        return outs

    @staticmethod
    def notify_all(g, ts):
        g["sig"] = g["w"]
        return [[(p, r, False) if b else (p, r, b) for p, r, b in ts]]

    @staticmethod
    def cancel(g):
        g["w"] -= 1
        if g["sig"] > g["w"]:
            g["sig"] -= 1

    # ---- the submitter ----

    def driver_steps(self, g, ts):
        pc = g["dpc"]
        if pc == "publish":
            if g["sub"] == self.jobs:
                g["dpc"] = "await"
                return [self.freeze(g, ts)]
            g["inj"] += 1
            g["sub"] += 1
            g["dpc"] = "aop_read"  # step 4: the fence, then the read
            return [self.freeze(g, ts)]
        if pc == "aop_read":
            g["dpc"] = "aop_notify" if g["searching"] == 0 else "publish"
            return [self.freeze(g, ts)]
        if pc == "aop_notify":
            g["dpc"] = "publish"
            return [self.freeze(dict(g), t2) for t2 in self.notify_one(g, ts)]
        if pc == "await":  # the pool's wait(), then its destructor's stop
            if g["ran"] != self.total:
                return []
            g["stopping"] = True
            g["dpc"] = "done"
            return [self.freeze(dict(g), t2) for t2 in self.notify_all(g, ts)]
        if pc == "done":
            return []
        raise AssertionError(pc)

    # ---- the workers ----

    def takes(self, g, i):
        """Every way worker i's look can take a job now: (g', job, left)
        with left one of "nothing", "more", "batch"."""
        outs = []
        if g["inj"] > 0:
            for batch in (0, 1) if g["inj"] > 1 else (0,):
                g2 = dict(g)
                g2["inj"] -= 1 + batch
                deqs = list(g2["deqs"])
                if batch:
                    deqs[i] = deqs[i] + ("o",)
                g2["deqs"] = tuple(deqs)
                left = "batch" if batch else ("more" if g2["inj"] > 0 else "nothing")
                outs.append((g2, "o", left))
        for j, d in enumerate(g["deqs"]):
            if j != i and d:
                g2 = dict(g)
                deqs = list(g2["deqs"])
                deqs[j] = d[1:]  # a steal takes the oldest
                g2["deqs"] = tuple(deqs)
                outs.append((g2, d[0], "more" if len(d) > 1 else "nothing"))
        return outs

    @staticmethod
    def visible_at(g, k):
        """work_visible()'s k-th read: the injection queue, then deque k-1."""
        return g["inj"] > 0 if k == 0 else len(g["deqs"][k - 1]) > 0

    def worker_steps(self, g, ts):
        outs = []
        for i, (pc, regs, blocked) in enumerate(ts):
            if blocked or pc == "exited":
                continue

            def go(g2, npc, nregs=(), block=False, base=ts):
                t2 = list(base)
                t2[i] = (npc, nregs, block)
                outs.append(self.freeze(g2, t2))

            g2 = dict(g)
            if pc == "top":  # its own deque, newest first
                d = g2["deqs"][i]
                if d:
                    deqs = list(g2["deqs"])
                    deqs[i] = d[:-1]
                    g2["deqs"] = tuple(deqs)
                    go(g2, "run", (d[-1],))
                else:
                    go(g2, "quick_look")
            elif pc == "run" and self.harness == BARRIER:
                g2["started"] += 1
                go(g2, "barrier")
            elif pc == "barrier":  # the job waits until every outside job has started
                if g2["started"] == self.jobs:
                    g2["ran"] += 1
                    go(g2, "top")
            elif pc == "run":
                g2["ran"] += 1
                if regs[0] == "o":  # the outside job pushes its child
                    deqs = list(g2["deqs"])
                    deqs[i] = deqs[i] + ("c",)
                    g2["deqs"] = tuple(deqs)
                    go(g2, "top" if self.protocol == NO_LOCAL_WAKE else "lp_waiters")
                else:
                    go(g2, "top")
            elif pc == "lp_waiters":  # step 5
                go(g2, "lp_searching" if g2["w"] != 0 else "top")
            elif pc == "lp_searching":
                go(g2, "lp_notify" if g2["searching"] == 0 else "top")
            elif pc == "lp_notify":
                for t2 in self.notify_one(g2, ts):
                    go(dict(g2), "top", base=t2)
            elif pc == "quick_look":
                for g3, job, left in self.takes(g2, i):
                    go(g3, "ho_first", (job, left))
                go(g2, "may_search")  # found nothing (or looked at too few)
            elif pc == "ho_first":  # step 2 for a quick look
                job, left = regs
                if self.protocol == NO_QUICK_HAND_ON or (left != "batch" and g2["w"] == 0):
                    go(g2, "run", (job,))
                else:
                    go(g2, "ho_searching", regs)
            elif pc == "ho_searching":
                if g2["searching"] != 0:
                    go(g2, "run", (regs[0],))
                else:
                    go(g2, "wake_if_left", regs)
            elif pc == "wake_if_left":  # both hand-ons' end: sleepers, and work left
                job, left = regs
                if g2["w"] == 0:
                    go(g2, "run", (job,))
                elif left != "nothing":
                    go(g2, "notify_then_run", (job,))
                else:
                    go(g2, "scan", (0, ("notify_then_run", (job,)), ("run", (job,))))
            elif pc == "notify_then_run":
                for t2 in self.notify_one(g2, ts):
                    go(dict(g2), "run", regs, base=t2)
            elif pc == "scan":  # work_visible(), a read a step
                k, if_yes, if_no = regs
                if self.visible_at(g2, k):
                    go(g2, *if_yes)
                elif k == self.workers:
                    go(g2, *if_no)
                else:
                    go(g2, "scan", (k + 1, if_yes, if_no))
            elif pc == "may_search":  # step 1 (quiescence's went_idle is not modelled)
                s = g2["searching"]
                if 2 * s < self.limit or 2 * (s - 1) < self.limit:
                    go(g2, "begin_search")
                else:
                    go(g2, "pu_prepare")
            elif pc == "begin_search":
                g2["searching"] += 1
                go(g2, "poll")
            elif pc == "poll":  # a counted search: find, or give up (budget spent)
                for g3, job, left in self.takes(g2, i):
                    go(g3, "esf_dec", (job, left))
                go(g2, "pk_prepare")
            elif pc == "esf_dec":  # step 2: end_search_found()
                job, left = regs
                g2["searching"] -= 1
                if g2["searching"] == 0 and self.protocol != NO_SEARCH_HAND_ON:
                    go(g2, "wake_if_left", regs)
                else:
                    go(g2, "run", (job,))
            elif pc == "pk_prepare":  # step 3: park()
                g2["w"] += 1
                go(g2, "pk_dec")
            elif pc == "pk_dec":
                g2["searching"] -= 1
                if g2["searching"] == 0 and self.protocol != NO_LAST_RECHECK:
                    go(g2, "scan", (0, ("cancel_top", ()), ("sleep", ())))
                else:
                    go(g2, "sleep")
            elif pc == "pu_prepare":  # step 1's park_unsearched()
                g2["w"] += 1
                go(g2, "pu_searching")
            elif pc == "pu_searching":
                if g2["searching"] == 0:
                    go(g2, "scan", (0, ("cancel_top", ()), ("sleep", ())))
                else:
                    go(g2, "sleep")
            elif pc == "cancel_top":
                self.cancel(g2)
                go(g2, "top")
            elif pc == "sleep":  # sleep(): the stop flag, then commit_wait()
                if g2["stopping"]:
                    self.cancel(g2)
                    go(g2, "exited")
                else:
                    go(g2, "commit")
            elif pc == "commit":  # takes a pending signal, or sleeps
                if g2["sig"] > 0:
                    g2["sig"] -= 1
                    g2["w"] -= 1
                    go(g2, "woke")
                else:
                    go(g2, "commit", block=True)
            elif pc == "woke":
                go(g2, "exited" if g2["stopping"] else "top")
            else:
                raise AssertionError(pc)
        return outs

    def successors(self, state):
        gs, ts = state
        return self.driver_steps(dict(gs), list(ts)) + self.worker_steps(dict(gs), list(ts))

    def lost_wake_up(self):
        """A stuck state and the path to it, or None; and the states seen."""
        def unfinished(state):
            g, ts = state
            return dict(g)["ran"] != self.total or any(t[0] != "exited" for t in ts)
        return stuck_state(self.initial(), self.successors, unfinished)


# (workers, cores) of 3 and 1: the search limit is 1, so a third worker to
# go idle parks unsearched.
@pytest.mark.parametrize("protocol,harness,workers,jobs,cores", [
    (CURRENT, CHILDREN, 1, 2, None), (CURRENT, CHILDREN, 2, 2, None),
    (CURRENT, CHILDREN, 3, 1, 1), (CURRENT, BARRIER, 2, 2, None), (CURRENT, BARRIER, 3, 2, 1),
    (NO_LOCAL_WAKE, CHILDREN, 2, 2, None), (NO_LOCAL_WAKE, BARRIER, 2, 2, None),
])
def test_no_job_waits_while_every_worker_sleeps(protocol, harness, workers, jobs, cores):
    path, states = Model(protocol, workers, jobs, harness, cores).lost_wake_up()
    assert path is None, "lost wake-up:\n" + explain(path)
    assert states > 400  # the search went somewhere


@pytest.mark.parametrize("protocol,harness,workers,jobs", [
    (NO_LAST_RECHECK, CHILDREN, 1, 1),
    (NO_QUICK_HAND_ON, BARRIER, 2, 2), (NO_SEARCH_HAND_ON, BARRIER, 2, 2),
])
def test_the_search_finds_each_dropped_steps_lost_wake_up(protocol, harness, workers, jobs):
    path, _ = Model(protocol, workers, jobs, harness).lost_wake_up()
    assert path is not None
