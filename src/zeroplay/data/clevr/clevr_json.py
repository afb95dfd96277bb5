"""Scenes in CLEVR's scene-JSON format, so CLEVR tooling and question programs can read them.

Standard CLEVR keys: `split`, `image_index`, `image_filename`, `objects` (shape, color,
material, size, 3d_coords, rotation, pixel_coords), `directions` and `relationships`. Extra keys
(CLEVR readers ignore them): per object `pixel_box` and `visible_pixels`; per scene `camera`,
`lights` and `render`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from zeroplay.data.clevr.raycast import Visibility
from zeroplay.data.clevr.scene import Scene, SceneObject

# CLEVR counts B as "left of" A when (B - A) . left > 0.2 (in world units), and so on.
RELATION_EPS = 0.2
RELATIONS = ("left", "right", "front", "behind")


def relationships(scene: Scene, eps: float = RELATION_EPS) -> dict[str, list[list[int]]]:
    """`result[rel][i]` lists, sorted, the objects j that are `rel` of object i."""
    directions = scene.camera.ground_directions()
    coords = [np.array(obj.center) for obj in scene.objects]
    result: dict[str, list[list[int]]] = {}
    for name in RELATIONS:
        vector = np.array(directions[name])
        result[name] = [
            [j for j, other in enumerate(coords) if j != i and float((other - mine) @ vector) > eps]
            for i, mine in enumerate(coords)
        ]
    return result


def object_json(
    obj: SceneObject, scene: Scene, visibility: Visibility, index: int
) -> dict[str, Any]:
    column, row, depth = scene.camera.project(obj.center)
    box = visibility.box(index)
    return {
        "shape": obj.shape,
        "color": obj.color,
        "material": obj.material,
        "size": obj.size,
        "3d_coords": [round(c, 6) for c in obj.center],
        "rotation": round(obj.rotation, 4),
        "pixel_coords": [round(column), round(row), round(depth, 6)],
        "pixel_box": list(box) if box else None,
        "visible_pixels": int(np.count_nonzero(visibility.labels == index)),
    }


def scene_json(
    scene: Scene,
    visibility: Visibility,
    image_filename: str,
    image_index: int,
    render: dict[str, Any],
    split: str = "zeroplay",
) -> dict[str, Any]:
    """The CLEVR scene JSON of a rendered scene (`render` records the renderer settings)."""
    camera = scene.camera
    return {
        "split": split,
        "image_index": image_index,
        "image_filename": image_filename,
        "objects": [object_json(obj, scene, visibility, i) for i, obj in enumerate(scene.objects)],
        "directions": camera.ground_directions(),
        "relationships": relationships(scene),
        "camera": {
            "position": [round(c, 6) for c in camera.position],
            "target": list(camera.target),
            "fov_x_degrees": round(camera.fov_x, 6),
            "width": camera.width,
            "height": camera.height,
        },
        "lights": [
            {
                "name": light.name,
                "position": [round(c, 6) for c in light.position],
                "half_size": light.half_size,
                "radiance": light.radiance,
            }
            for light in scene.lights
        ],
        "render": render,
    }
