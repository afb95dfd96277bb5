"""CLEVR-style scenes: objects on a ground plane, a jittered camera and three area lights."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from zeroplay.data.clevr.camera import CLEVR_CAMERA_POSITION, CLEVR_FOV_X_DEGREES, Camera, Vec3
from zeroplay.data.clevr.vocab import COLORS, MATERIALS, SHAPES, SIZES, half_height


@dataclass(frozen=True)
class SceneObject:
    """One object; `rotation` is the turn about the vertical axis in degrees."""

    shape: str
    color: str
    material: str
    size: str
    x: float
    y: float
    rotation: float

    @property
    def radius(self) -> float:
        """Radius of the object's footprint circle (the same for every shape of a size)."""
        return SIZES[self.size]

    @property
    def center(self) -> Vec3:
        return (self.x, self.y, half_height(self.shape, self.size))

    def attributes(self) -> dict[str, str]:
        return {
            "shape": self.shape,
            "color": self.color,
            "material": self.material,
            "size": self.size,
        }


@dataclass(frozen=True)
class Light:
    """A square area light at `position` facing the origin; `half_size` is half its side."""

    name: str
    position: Vec3
    half_size: float
    radiance: float


@dataclass(frozen=True)
class Scene:
    objects: tuple[SceneObject, ...]
    camera: Camera
    lights: tuple[Light, ...]

    def with_objects(self, objects: tuple[SceneObject, ...]) -> Scene:
        return replace(self, objects=objects)


@dataclass(frozen=True)
class SceneConfig:
    """How scenes are sampled. Distances in world units; defaults follow CLEVR's generator."""

    min_objects: int = 4
    max_objects: int = 6
    width: int = 320
    height: int = 240
    extent: float = 3.0  # object centres are uniform in [-extent, extent]^2
    min_dist: float = 0.25  # least gap between two footprint circles
    margin: float = 0.4  # least separation along left/right and front/behind
    camera_jitter: float = 0.5  # each camera coordinate moves uniformly in [-j, j]
    light_jitter: float = 1.0  # each light coordinate moves uniformly in [-j, j]
    # CLEVR demands 200 visible pixels at 480x320; the same share of a 320x240 image is 100.
    # The threshold is given at 320x240 and scaled by image area for other sizes.
    min_visible_pixels: int = 100
    max_attempts: int = 200  # scenes tried before giving up
    # Horizontal field of view; narrower than CLEVR's zooms in (small CPU-sized images).
    fov_x: float = CLEVR_FOV_X_DEGREES

    def __post_init__(self) -> None:
        if not 1 <= self.min_objects <= self.max_objects:
            raise ValueError("need 1 <= min_objects <= max_objects")
        if self.width < 8 or self.height < 8:
            raise ValueError("image must be at least 8x8 pixels")
        if not 5.0 <= self.fov_x <= 120.0:
            raise ValueError(f"fov_x must be between 5 and 120 degrees, got {self.fov_x}")

    def visible_pixel_threshold(self) -> int:
        """`min_visible_pixels` scaled from 320x240 to this image size (at least 1)."""
        scale = self.width * self.height / (320 * 240)
        return max(1, round(self.min_visible_pixels * scale))


# Light placement (z up, camera at +x -y): a strong key light above the camera's right, a weak
# fill on its left and a back light behind the scene, as in CLEVR's three-lamp set-up. Large
# lights give soft shadows and keep glossy fireflies on metal objects dim.
_LIGHTS: tuple[Light, ...] = (
    Light("key", (6.0, -3.0, 9.0), 3.0, 4.0),
    Light("fill", (-5.0, -6.0, 5.0), 4.0, 0.9),
    Light("back", (-3.0, 6.0, 6.0), 3.0, 1.35),
)


def _jitter(rng: np.random.Generator, point: Vec3, amount: float) -> Vec3:
    offsets = rng.uniform(-amount, amount, size=3)
    return (
        float(point[0] + offsets[0]),
        float(point[1] + offsets[1]),
        float(point[2] + offsets[2]),
    )


def sample_camera(rng: np.random.Generator, config: SceneConfig) -> Camera:
    position = _jitter(rng, CLEVR_CAMERA_POSITION, config.camera_jitter)
    return Camera(position, (0.0, 0.0, 0.0), config.fov_x, config.width, config.height)


def sample_lights(rng: np.random.Generator, config: SceneConfig) -> tuple[Light, ...]:
    return tuple(
        replace(lt, position=_jitter(rng, lt.position, config.light_jitter)) for lt in _LIGHTS
    )


def placement_ok(
    candidate: SceneObject,
    others: tuple[SceneObject, ...] | list[SceneObject],
    camera: Camera,
    config: SceneConfig,
) -> bool:
    """CLEVR's placement rule: footprints at least `min_dist` apart, and every pair separated by
    at least `margin` along both the left-right and the front-behind axes, so that spatial
    relations between any two objects are unambiguous."""
    directions = camera.ground_directions()
    left = np.array(directions["left"][:2])
    behind = np.array(directions["behind"][:2])
    for other in others:
        dx, dy = candidate.x - other.x, candidate.y - other.y
        if np.hypot(dx, dy) - candidate.radius - other.radius < config.min_dist:
            return False
        for axis in (left, behind):
            if abs(dx * axis[0] + dy * axis[1]) < config.margin:
                return False
    return True


def random_attributes(rng: np.random.Generator) -> dict[str, str]:
    """Shape, colour, material and size drawn uniformly and independently."""
    return {
        "shape": SHAPES[rng.integers(len(SHAPES))],
        "color": tuple(COLORS)[rng.integers(len(COLORS))],
        "material": MATERIALS[rng.integers(len(MATERIALS))],
        "size": tuple(SIZES)[rng.integers(len(SIZES))],
    }


def place_object(
    rng: np.random.Generator,
    attributes: dict[str, str],
    others: tuple[SceneObject, ...] | list[SceneObject],
    camera: Camera,
    config: SceneConfig,
    tries: int = 50,
) -> SceneObject | None:
    """Draw positions (and a rotation) until one satisfies `placement_ok`; None after `tries`."""
    for _ in range(tries):
        x, y = rng.uniform(-config.extent, config.extent, size=2)
        rotation = float(rng.uniform(0.0, 360.0))
        candidate = SceneObject(x=float(x), y=float(y), rotation=rotation, **attributes)
        if placement_ok(candidate, others, camera, config):
            return candidate
    return None


def sample_layout(rng: np.random.Generator, config: SceneConfig) -> Scene | None:
    """One attempt at a scene: camera, lights and objects placed without overlap (visibility is
    checked by the caller, which owns the ray caster)."""
    camera = sample_camera(rng, config)
    lights = sample_lights(rng, config)
    count = int(rng.integers(config.min_objects, config.max_objects + 1))
    objects: list[SceneObject] = []
    for _ in range(count):
        placed = place_object(rng, random_attributes(rng), objects, camera, config)
        if placed is None:
            return None
        objects.append(placed)
    return Scene(tuple(objects), camera, lights)
