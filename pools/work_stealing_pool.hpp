// work_stealing_pool: a Chase-Lev deque per worker, an injection queue for
// outside submits, random-victim stealing, rayon-style fork-join. It lives
// in pools/work_stealing/, one role per file (pool.hpp starts there).
#pragma once

#include <pools/work_stealing/pool.hpp>
