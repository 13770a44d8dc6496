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
    """Which way the cannon at ``x`` steps out of the path of the falling bombs: 1 right, -1
    left, 0 when none threatens it.

    A bomb ("Bullet<i>" moving down, 0 < dy < 20) threatens a position when its column is within
    ``width`` px of the cannon's centre (position + 3) and its top is at most ``height`` px above
    the cannon's row (y 185). The cannon heads for the nearest position inside its range (34..116)
    that no such bomb threatens, on the side away from the lowest bomb when both are as near,
    so it keeps one direction while it escapes. Checked on the emulator: bombs fall straight
    down 4 px a step (1 px wide, 10 tall) and the cannon moves 2 px every other step, so leaving
    a bomb's column from under its centre takes about 10 steps (``height`` 40 or more)."""
    bombs = [item for name, item in obs.items() if name.startswith("Bullet")
             and isinstance(item, dict) and 0 < item["dy"] < 20 and -10 <= 185 - item["y"] <= height]

    def threatened(position):
        return any(abs(bomb["x"] - position - 3) <= width for bomb in bombs)

    if not threatened(x):
        return 0
    lowest = max(bombs, key=lambda item: item["y"])
    first = 1 if lowest["x"] <= x + 3 else -1
    for distance in range(1, 83):
        for direction in (first, -first):
            if 34 <= x + direction * distance <= 116 and not threatened(x + direction * distance):
                return direction
    return 0


def column(obs, x, lead, rows=0):
    """The x of the alien column nearest ``x``, ``lead`` steps ahead of the aliens' march
    (lowest alien of that column first, where its shot meets fewest shields), or ``x``
    when no alien is left.

    ``rows`` px are added to an alien's distance for each row (10 px) it stands above the lowest
    alien, so with ``rows`` > 0 the cannon aims at the lowest row first: that row lands the
    formation, and its shots fly shortest. With ``x`` at a side of the cannon's range (34 or
    116) and ``rows`` 0 it is the outermost column on that side. Checked on the emulator: the six
    columns stand 16 px apart and march sideways (at the start 1 px every 8 steps, faster as
    aliens die); each time the formation reaches a side it steps down 10 px, and the game ends
    when it lands (in the episodes seen, four steps down), so clearing outer columns, which
    widens the formation's room to march, delays the landing."""
    aliens = [item for name, item in obs.items() if name.startswith("Alien")
              and name[5:].isdigit()]
    if not aliens:
        return x
    lowest = max(item["y"] for item in aliens)
    best = min(aliens, key=lambda item: (abs(item["x"] + item.get("dx", 0) * lead - x)
                                         + rows * (lowest - item["y"]) / 10, -item["y"]))
    return best["x"] + best.get("dx", 0) * lead


def shot_flying(obs):
    """Whether one of your shots ("Bullet<i>" moving up, dy < 0) is in flight."""
    return any(name.startswith("Bullet") and isinstance(item, dict) and item["dy"] < 0
               for name, item in obs.items())


def bounced(item, previous, axis, low, high):
    """The speed of ``item`` along ``axis``, corrected on the step it bounced off a wall.

    OCAtari's ``d`` + axis is the net movement of the last step: on the step a ball bounces
    off a wall at ``low`` or ``high`` it is the part toward the wall minus the part back (0, or
    a fraction of the speed), so the speed after the bounce is the previous step's, reversed.
    ``previous`` is the item as the policy saw it one step earlier (None at first). Example:
    ``bounced(obs["Ball"], last_ball, "x", 8, 151)`` is the Breakout ball's dx after a side wall.
    """
    speed = item["d" + axis]
    if previous is None or previous["d" + axis] == 0:
        return speed
    before = previous["d" + axis]
    if speed * before < 0:
        return speed if abs(speed) >= abs(before) else -before
    near_wall = item[axis] <= low + abs(before) or item[axis] >= high - abs(before)
    return -before if abs(speed) < abs(before) and near_wall else speed


def plan_press(position, last, target, arrival, slack, first, carry, low, high):
    """The press now (1 toward higher, -1 toward lower, 0 none) that keeps a lagged paddle
    nearest ``target`` when the ball arrives.

    The paddle moves ``first`` px the step a press is applied and ``carry`` px the next (Breakout:
    12 and 10.4, measured), within ``[low, high]``; ``last`` is the press of the previous step.
    Every sequence of three presses from now on (then none) is simulated, and the one whose
    worst distance to ``target`` over steps ``arrival - slack`` .. ``arrival + slack`` is least
    wins (earlier presses first on ties): the slack keeps the paddle right whichever step the
    ball meets it, and sticky actions delay a press by a step."""
    best, choice = None, 0
    for plan in [(a, b, c) for a in (0, 1, -1) for b in (0, 1, -1) for c in (0, 1, -1)]:
        place, before, worst = position, last, 0
        for step_ in range(arrival + slack):
            press = plan[step_] if step_ < len(plan) else 0
            place = clamp(place + first * press + carry * before, low, high)
            before = press
            if step_ + 1 >= arrival - slack:
                worst = max(worst, abs(place - target))
        cost = worst + sum(abs(press) * (index + 1) * 0.001 for index, press in enumerate(plan))
        if best is None or cost < best:
            best, choice = cost, plan[0]
    return choice
