"""A MiniGrid level built from a recipe: a walled room, the agent in the west, a goal in the east.

``_gen_grid`` places the agent and the goal, then runs the recipe: each later statement adds one
feature through a helper below (a wall with a door, a subdivided room, a wall segment, scattered
walls or lava, a lava river). Helpers never cover the agent, the goal, keys or door openings,
and a locked door's key always lies on the agent's side of its door, so doors open in sequence.
"""
from __future__ import annotations

from minigrid.core.grid import Grid
from minigrid.core.mission import MissionSpace
from minigrid.core.world_object import Door, Goal, Key, Lava, Wall
from minigrid.minigrid_env import MiniGridEnv

SIZE = 8
SEPARATION = 0.5


class CustomEnv(MiniGridEnv):
    """Get to the green goal square; ``SIZE`` x ``SIZE`` cells, outer walls included."""

    def __init__(self, **kwargs):
        super().__init__(mission_space=MissionSpace(mission_func=self._gen_mission),
                         grid_size=SIZE, max_steps=4 * SIZE * SIZE, **kwargs)

    @staticmethod
    def _gen_mission():
        return "get to the green goal square"

    def _gen_grid(self, width, height):
        self.grid = Grid(width, height)
        self.grid.wall_rect(0, 0, width, height)
        self._place_ends(SEPARATION)

    def _place_ends(self, separation):
        """Goal in the east and agent in the west; ``separation`` 1 puts them at opposite ends."""
        width, height = self.grid.width, self.grid.height
        reach = max(1, round((1 - separation) * (width - 3)))
        self.put_obj(Goal(), self._rand_int(width - 1 - reach, width - 1), self._rand_int(1, height - 1))
        self.place_agent(top=(self._rand_int(1, 1 + reach), 1), size=(1, height - 2))

    def _is(self, x, y, *kinds):
        """Whether (x, y) holds an object of one of the types ``kinds``."""
        cell = self.grid.get(x, y)
        return cell is not None and cell.type in kinds

    def _free(self, x, y, walls=False):
        """Whether (x, y) is empty (or a wall, with ``walls``) and not the agent's cell."""
        cell = self.grid.get(x, y)
        empty = cell is None or (walls and cell.type == "wall")
        return empty and (x, y) != (int(self.agent_pos[0]), int(self.agent_pos[1]))

    def _protected(self, x, y):
        """Cells that must stay clear: next to a door, key, goal or the agent, or a lava gap."""
        agent = (int(self.agent_pos[0]), int(self.agent_pos[1]))
        for dx, dy in ((1, 0), (-1, 0), (0, 1), (0, -1)):
            if self._is(x + dx, y + dy, "door", "key", "goal") or (x + dx, y + dy) == agent:
                return True
        return (self._is(x - 1, y, "lava") and self._is(x + 1, y, "lava")) or (
            self._is(x, y - 1, "lava") and self._is(x, y + 1, "lava"))

    def _safe(self, x, y):
        """Whether blocking (x, y) keeps its open neighbours connected to each other around it."""
        ring = ((1, 0), (1, 1), (0, 1), (-1, 1), (-1, 0), (-1, -1), (0, -1), (1, -1))
        closed = [self._is(x + dx, y + dy, "wall", "lava", "ball", "box") for dx, dy in ring]
        if not any(closed):
            return True
        first = closed.index(True)
        runs, edge_in_run = 0, False
        for step in range(1, 9):
            index = (first + step) % 8
            if closed[index]:
                runs += edge_in_run
                edge_in_run = False
            elif index % 2 == 0:
                edge_in_run = True
        return runs <= 1

    def _lines(self):
        """Columns of walls and doors cutting the grid top to bottom, outer walls included."""
        width, height = self.grid.width, self.grid.height
        inner = [x for x in range(1, width - 1)
                 if all(self._is(x, y, "wall", "door") for y in range(1, height - 1))]
        return [0] + inner + [width - 1]

    def _region(self, x, lines=None):
        """The columns (left, right) of the two lines enclosing column ``x``."""
        width = self.grid.width
        lines = self._lines() if lines is None else lines
        x = min(max(x, 1), width - 2)
        if x in lines:
            x = x + 1 if x + 1 < width - 1 else x - 1
        return max(l for l in lines if l < x), min(l for l in lines if l > x)

    def _full_rows(self, left, right):
        """Rows of walls and doors running across the room between columns left and right."""
        return [y for y in range(1, self.grid.height - 1)
                if all(self._is(x, y, "wall", "door") for x in range(left + 1, right))]

    def _split(self, where, door, color):
        """Wall off a column near ``where`` (0..1 of the width) with one door.

        ``door`` is "open", "closed" or "locked"; a locked door's key goes on the agent's side.
        """
        width, height = self.grid.width, self.grid.height
        lines = self._lines()
        divided = {}
        rows = {}
        for x in range(2, width - 2):
            region = self._region(x, lines)
            if region not in divided:
                divided[region] = bool(self._full_rows(*region))
            if (min(abs(x - l) for l in lines) >= 2 and not divided[region]
                    and all(self._free(x, y, walls=True) for y in range(1, height - 1))
                    and not any(self._is(c, y, "lava") for c in (x - 1, x + 1)
                                for y in range(1, height - 1))):
                rows[x] = [y for y in range(1, height - 1)
                           if self.grid.get(x - 1, y) is None and self.grid.get(x + 1, y) is None]
        columns = [x for x in rows if rows[x]]
        if not columns:
            return
        x = min(columns, key=lambda c: abs(c - where * (width - 1)))
        self.grid.vert_wall(x, 1, height - 2)
        y = self._rand_elem(rows[x])
        locked = door == "locked" and self._put_key(x, color)
        self.grid.set(x, y, Door(color, is_open=door == "open", is_locked=locked))

    def _put_key(self, x, color):
        """Put a ``color`` key in the room beside column ``x`` on the agent's side."""
        left, right = self._region(x - 1 if self.agent_pos[0] < x else x + 1)
        cells = [(c, y) for c in range(left + 1, right) for y in range(1, self.grid.height - 1)
                 if self._free(c, y)]
        spots = [cell for cell in cells if not self._protected(*cell)] or cells
        if not spots:
            return False
        self.put_obj(Key(color), *self._rand_elem(spots))
        return True

    def _subdivide(self, where_x, where_y, door):
        """Cut the room around column ``where_x`` by a wall near row ``where_y`` (0..1) with one
        door ("open" or "closed")."""
        width, height = self.grid.width, self.grid.height
        left, right = self._region(round(where_x * (width - 1)))
        if right - left < 4 or any(self._is(x, y, "lava") for x in range(left + 1, right)
                                   for y in range(1, height - 1)):
            return
        taken = [0, height - 1] + self._full_rows(left, right)
        rows = [y for y in range(2, height - 2)
                if min(abs(y - r) for r in taken) >= 2
                and not self._is(left, y, "door") and not self._is(right, y, "door")
                and all(self._free(x, y, walls=True) for x in range(left + 1, right))]
        doors = {y: [x for x in range(left + 1, right)
                     if self.grid.get(x, y - 1) is None and self.grid.get(x, y + 1) is None]
                 for y in rows}
        rows = [y for y in rows if doors[y]]
        if not rows:
            return
        y = min(rows, key=lambda r: abs(r - where_y * (height - 1)))
        self.grid.horz_wall(left + 1, y, right - left - 1)
        self.grid.set(self._rand_elem(doors[y]), y, Door(self._rand_color(), is_open=door == "open"))

    def _segment(self, where_x, where_y, length, vertical):
        """A wall segment of ``length`` cells from (where_x, where_y) (0..1), down or right."""
        width, height = self.grid.width, self.grid.height
        x, y = round(where_x * (width - 1)), round(where_y * (height - 1))
        for _ in range(length):
            if not (1 <= x < width - 1 and 1 <= y < height - 1):
                break
            if self._free(x, y) and not self._protected(x, y) and self._safe(x, y):
                self.grid.set(x, y, Wall())
            x, y = (x, y + 1) if vertical else (x + 1, y)

    def _scatter(self, kind, density):
        """Cover up to ``density`` of the empty cells with "wall" or "lava", never closing a way."""
        width, height = self.grid.width, self.grid.height
        cells = [(x, y) for x in range(1, width - 1) for y in range(1, height - 1)
                 if self._free(x, y) and not self._protected(x, y)]
        count = min(len(cells), round(density * len(cells)))
        for index in self.np_random.choice(len(cells), size=count, replace=False):
            if self._safe(*cells[index]) and not self._protected(*cells[index]):
                self.grid.set(*cells[index], Wall() if kind == "wall" else Lava())

    def _river(self, where):
        """A column of lava near ``where`` (0..1 of the width) with one safe crossing."""
        width, height = self.grid.width, self.grid.height
        left, right = self._region(round(where * (width - 1)))
        if self._full_rows(left, right):
            return
        columns = [x for x in range(left + 2, right - 1)
                   if all(self._free(x, y, walls=True) for y in range(1, height - 1))]
        crossings = {x: [y for y in range(1, height - 1)
                         if all(self.grid.get(c, y) is None for c in (x - 1, x, x + 1))]
                     for x in columns}
        columns = [x for x in columns if crossings[x]]
        if not columns:
            return
        x = min(columns, key=lambda c: abs(c - where * (width - 1)))
        gap = self._rand_elem(crossings[x])
        for y in range(1, height - 1):
            if y != gap and self.grid.get(x, y) is None:
                self.grid.set(x, y, Lava())
