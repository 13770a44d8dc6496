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


def rest(obs, name, axis, carry, low, high):
    """Where paddle ``name`` comes to rest along ``axis`` if no move is pressed from now on.

    A paddle is driven with a lag: a press moves it this step and again the next, so it keeps
    going after the last press. Checked on the emulator (sticky 0, frameskip 4): a Breakout
    press moves the paddle about 12 px that step and 11 px the next (held: 23 px a step, so
    ``carry`` 0.5 of the last move); a Pong press about 10, 10, then 3 px (``carry`` about 0.65).
    Returns the position plus ``carry`` times the last move (dx or dy), limited to
    ``[low, high]``, or 0 if ``name`` is not visible. Example:
    ``rest(obs, "Player", "x", 0.5, 8, 144)`` is where the Breakout paddle's left edge stops.
    """
    if name not in obs:
        return 0
    item = obs[name]
    return clamp(item[axis] + carry * item["d" + axis], low, high)


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


def offset(obs, prefix, key, name):
    """``key`` of the ``prefix`` object (``prefix`` itself or ``prefix`` + index) nearest to
    object ``name``, minus that of ``name``; 0 when either is missing."""
    if name not in obs:
        return 0
    me = obs[name]
    items = [item for key_, item in obs.items() if isinstance(item, dict) and key_ != name
             and (key_ == prefix or (key_.startswith(prefix) and key_[len(prefix):].isdigit()))]
    if not items:
        return 0
    other = min(items, key=lambda item: abs(item["x"] - me["x"]) + abs(item["y"] - me["y"]))
    return other[key] - me[key]


def dodge(obs, x, width, height):
    """Which way the cannon at ``x`` steps from a falling shot ("Bullet<i>" with dy > 0) within
    ``width`` px horizontally of its centre (x + 3) and ``height`` px above the cannon's row
    (y 185): 1 right, -1 left, 0 when none threatens. Near a wall (x < 50 or x > 100) it steps
    away from the wall."""
    threats = [item for name, item in obs.items() if name.startswith("Bullet")
               and isinstance(item, dict) and 0 < item["dy"] < 20
               and abs(item["x"] - x - 3) <= width and -10 <= 185 - item["y"] <= height]
    if not threats:
        return 0
    bomb = min(threats, key=lambda item: 185 - item["y"])
    if x < 50:
        return 1
    if x > 100:
        return -1
    return 1 if bomb["x"] <= x else -1


def column(obs, x, lead):
    """The x of the alien column nearest ``x``, ``lead`` steps ahead of the aliens' march
    (lowest alien of that column first, where its shot meets fewest shields), or ``x``
    when no alien is left."""
    aliens = [item for name, item in obs.items() if name.startswith("Alien")
              and name[5:].isdigit()]
    if not aliens:
        return x
    best = min(aliens, key=lambda item: (abs(item["x"] + item.get("dx", 0) * lead - x),
                                         -item["y"]))
    return best["x"] + best.get("dx", 0) * lead


def shot_flying(obs):
    """Whether one of your shots ("Bullet<i>" moving up, dy < 0) is in flight."""
    return any(name.startswith("Bullet") and isinstance(item, dict) and item["dy"] < 0
               for name, item in obs.items())
