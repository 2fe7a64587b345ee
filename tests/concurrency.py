"""Running one piece of work in several threads at once, as several workers would."""

import threading


def at_once(work, times: int) -> list:
    """`work()` in `times` threads released together; their results, in finishing order.
    An error in any thread fails the caller: a failed worker must fail the test."""
    results, errors = [], []
    start = threading.Barrier(times)

    def worker():
        try:
            start.wait()
            results.append(work())
        except Exception as exc:  # re-raised below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return results
