"""The search both protocol models use: breadth-first over every state their
steps reach, for a state where no thread can move although the model says
work is left (a lost wake-up), returned with the path that leads to it."""

from collections import deque


def stuck_state(initial, successors, unfinished):
    """(path, states): the shortest path from `initial` to a state with no
    successor for which unfinished(state) holds, or None; and how many
    states the search reached."""
    parent = {initial: None}
    queue = deque([initial])
    while queue:
        state = queue.popleft()
        nexts = successors(state)
        if not nexts and unfinished(state):
            path = []
            while state is not None:
                path.append(state)
                state = parent[state]
            return list(reversed(path)), len(parent)
        for n in nexts:
            if n not in parent:
                parent[n] = state
                queue.append(n)
    return None, len(parent)


def explain(path):
    """One line a state: the shared variables, then the threads."""
    return "\n".join(f"{dict(g)} {t}" for g, t in path)
