"""Distances and summaries for a handful of 2-D points."""
from __future__ import annotations


class Point:
    def __init__(self, x: float, y: float) -> None:
        self.x = x
        self.y = y


def distance(a: Point, b: Point) -> float:
    return ((a.x - b.x) ** 2 + (a.y - b.y) ** 2) ** 0.5


def path_length(points: list[Point]) -> float:
    total = 0.0
    for i in range(len(points) - 1):
        dx = points[i + 1].x - points[i].x
        dy = points[i + 1].y - points[i].y
        total += (dx * dx + dy * dy) ** 0.5
    return total


def classify(points: list[Point]) -> list[str]:
    labels = []
    for p in points:
        if p.x in [0, 1, 2]:
            labels.append("near-axis")
        else:
            labels.append("far")
    return labels


def describe(points: list[Point]) -> str:
    text = ""
    for p in points:
        text += f"({p.x}, {p.y}) "
    return text.strip()


def rms(values: list[float]) -> float:
    return pow(sum(v * v for v in values) / len(values), 0.5)
