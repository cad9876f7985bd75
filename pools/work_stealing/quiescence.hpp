// work_stealing::quiescence: when is a work_stealing_pool done? Counted by
// busy workers, not by jobs, so that a job that stays with its worker
// (nested submit, fork, pop, run, finish) writes nothing shared.
// One quiescence per pool, over the pool's detail::completion (its pending
// count C, its waiters and its first exception); one busy_state per worker,
// touched by that worker only.
//
// Protocol.
// State: C holds one unit for each job submitted from outside and not yet
// claimed from the injection queue, one for each busy worker (a worker that
// holds work: running a job, or with jobs in its deque), one for each idle
// thief between announcing a steal and its outcome, and each busy worker's
// surplus: the units of jobs it claimed while it already held one, settled
// when it goes idle.
// Invariant: while any job is queued, running or being stolen, C > 0. So an
// outside wait() returns at the first C == 0 it sees, and reads nothing else.
//  Q1. Outside submit: C += 1, then the enqueue (the queue's release
//      publishes the increment to the worker that claims the job).
//  Q2. An idle worker claims k jobs from the injection queue and becomes
//      busy: the first job's unit becomes its own, the other k - 1 its
//      surplus. A busy worker's claim adds k to its surplus. No write.
//  Q3. Nested submit, fork, pop, run and finish on the worker's own deque:
//      nothing. The worker is busy; its unit covers its deque.
//  Q4. An idle worker steals: C += 1 (seq_cst) before the steal's CAS on the
//      victim's top. Success: that unit is now the thief's own; failure:
//      C -= 1. A busy worker's steal (its quick look, or helping while it
//      joins) writes nothing.
//  Q5. A busy worker whose deque is empty and that found nothing else goes
//      idle: a seq_cst fence, then C -= 1 + surplus; at zero the waiters are
//      notified.
// Why Q4 increments before the CAS: the job stolen may be the victim's last;
// the victim then finds its deque empty and goes idle (Q5). The victim's read
// of the deque's top reads the thief's CAS (or a later one), and Q5's fence
// comes after that read, so in the single total order of seq_cst operations
// and fences: the thief's C += 1 < its CAS < the victim's fence < the
// victim's C -= 1. C never passes through zero while a stolen job is in
// flight. (Under ThreadSanitizer the deque reads top with a seq_cst load
// instead of a fence; the same order follows.)
// tests/model/test_quiescence_model.py explores every interleaving of a
// model of Q1-Q5 (submits, batch claims, pops, steals, nested pushes) and
// checks that C is zero only when no work is left, and zero once all of it
// has run; it finds the early zero of a thief that counts itself after its
// steal, as traced above.
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>

#include <base/fence.hpp>
#include <pools/detail/completion.hpp>

namespace poolbench::work_stealing {

// One worker's part of the count. Owner thread only.
struct busy_state {
    bool busy = false;         // holds a unit of C
    std::int64_t surplus = 0;  // units of claimed jobs beyond it (Q2)
};

class quiescence {
public:
    explicit quiescence(detail::completion& c) noexcept : m_completion(c) {}

    // Q1: before an outside submit enqueues. Undo with submit_failed().
    void submitted() noexcept { m_completion.add(); }
    void submit_failed() noexcept { m_completion.done(); }

    // Q2: the worker claimed k jobs from the injection queue.
    static void claimed(busy_state& w, std::size_t k) noexcept {
        w.surplus += static_cast<std::int64_t>(k) - (w.busy ? 0 : 1);
        w.busy = true;
    }

    // Q4, before the steal: returns whether the worker announced itself (an
    // idle one does). Pass the answer to stole() or steal_failed().
    bool before_steal(const busy_state& w) noexcept {
        if (w.busy) return false;
        m_completion.add_ordered();
        return true;
    }
    static void stole(busy_state& w) noexcept { w.busy = true; }
    void steal_failed(bool announced) noexcept {
        if (announced) m_completion.done();
    }

    // Q5: the worker holds no work any more. Call after its deque read empty.
    void went_idle(busy_state& w) noexcept {
        if (!w.busy) return;
        detail::store_load_fence();  // after the read of the deque's top (see Q4)
        w.busy = false;
        m_completion.done(1 + std::exchange(w.surplus, 0));
    }

private:
    detail::completion& m_completion;
};

}  // namespace poolbench::work_stealing
