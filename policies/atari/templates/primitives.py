"""Helpers every Atari policy program starts with (copied into each starter program).

``trainable`` marks the functions an optimiser may rewrite; the others are fixed primitives
over the observation dict that the trainable functions (and the offline optimiser's new
expressions) may call.
"""


def trainable(function):
    """Mark ``function`` as one the optimiser may rewrite (a marker only)."""
    function.trainable = True
    return function


def value(obs, name, key):
    """``obs[name][key]``, or 0 when the object ``name`` is not visible."""
    return obs[name][key] if name in obs else 0


def land(obs, name, axis, target, low, high):
    """Where object ``name`` will be when its ``axis`` coordinate reaches ``target``.

    Extrapolates the object's last movement (dx, dy) in a straight line, folding the other
    coordinate back into ``[low, high]`` as a ball bouncing off two walls would. Returns the
    other coordinate now if the object does not move toward ``target``, and 0 if it is not
    visible. Example: ``land(obs, "Ball", "x", 140, 31, 193)`` is the y at which the Pong ball
    reaches x = 140 between the walls y = 31 and y = 193.
    """
    if name not in obs:
        return 0
    item = obs[name]
    other = "y" if axis == "x" else "x"
    speed = item["d" + axis]
    if speed == 0 or (target - item[axis]) * speed < 0:
        return item[other]
    position = item[other] + item["d" + other] * (target - item[axis]) / speed
    span = high - low
    if span <= 0:
        return position
    folded = (position - low) % (2 * span)
    return low + (folded if folded <= span else 2 * span - folded)


def nearest(obs, prefix, key, x):
    """``key`` of the object named ``prefix`` + index (e.g. "Alien3") nearest to ``x``
    horizontally, or 0 when there is none."""
    items = [item for name, item in obs.items()
             if name.startswith(prefix) and name[len(prefix):].isdigit()]
    if not items:
        return 0
    return min(items, key=lambda item: abs(item["x"] - x))[key]


def clamp(number, low, high):
    """``number`` limited to ``[low, high]``."""
    return max(low, min(high, number))
