"""Render CLEVR-style scenes with Mitsuba 3 (imported on first use).

Rubber is rough plastic (a diffuse base under a faint gloss), metal is a rough conductor tinted
with the object's colour, cylinders are closed with two disks, and square area lights give soft
shadows. A dim constant environment gives the metal something to reflect.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from zeroplay.data.clevr.scene import Scene, SceneObject
from zeroplay.data.clevr.variant import resolve_variant
from zeroplay.data.clevr.vocab import linear_rgb

GROUND_REFLECTANCE = 0.6
ENVIRONMENT_RADIANCE = 0.3
RUBBER_ROUGHNESS = 0.35
METAL_ROUGHNESS = 0.2
LOAD_TRIES = 50


@dataclass(frozen=True)
class RenderConfig:
    """Renderer settings: samples per pixel, path length and Mitsuba variant (`auto` picks the
    fastest that works: cuda_ad_rgb, llvm_ad_rgb, then scalar_rgb)."""

    spp: int = 16
    max_depth: int = 3  # 3 = direct light plus one indirect bounce (metal sees its neighbours)
    variant: str = "auto"

    def __post_init__(self) -> None:
        if self.spp < 1:
            raise ValueError("spp must be at least 1")
        if self.max_depth < 2:
            raise ValueError("max_depth must be at least 2 (direct lighting)")


class MitsubaRenderer:
    """Turns a `Scene` into an 8-bit sRGB image; one instance per process."""

    def __init__(self, config: RenderConfig) -> None:
        self.config = config
        self.variant = resolve_variant(config.variant)
        import mitsuba as mi

        mi.set_variant(self.variant)
        mi.set_log_level(mi.LogLevel.Error)
        self.mi = mi

    def scene_dict(self, scene: Scene) -> dict[str, Any]:
        """The Mitsuba scene description of `scene`."""
        mi = self.mi
        transform = mi.ScalarTransform4f
        cam = scene.camera
        desc: dict[str, Any] = {
            "type": "scene",
            # Lights and the environment light the scene but are not seen by the camera.
            "integrator": {
                "type": "path",
                "max_depth": self.config.max_depth,
                "hide_emitters": True,
                # One image block: in the CPU variant, blocks handed to racing threads get
                # their sampler seeds in a racy order, so the noise would change from run to
                # run. Parallelism comes from worker processes instead.
                "block_size": 1 << max(cam.width, cam.height).bit_length(),
            },
            "sensor": {
                "type": "perspective",
                "fov": cam.fov_x,
                "fov_axis": "x",
                "to_world": transform().look_at(
                    origin=list(cam.position), target=list(cam.target), up=[0, 0, 1]
                ),
                "film": {
                    "type": "hdrfilm",
                    "width": cam.width,
                    "height": cam.height,
                    "pixel_format": "rgb",
                    "rfilter": {"type": "gaussian"},
                },
                "sampler": {"type": "multijitter", "sample_count": self.config.spp},
            },
            "ground": {
                "type": "rectangle",
                "to_world": transform().scale([1000.0, 1000.0, 1.0]),  # reaches the horizon
                "bsdf": {"type": "diffuse", "reflectance": _rgb([GROUND_REFLECTANCE] * 3)},
            },
            "environment": {"type": "constant", "radiance": _rgb([ENVIRONMENT_RADIANCE] * 3)},
        }
        for light in scene.lights:
            desc[f"light_{light.name}"] = {
                "type": "rectangle",
                "to_world": transform()
                .look_at(origin=list(light.position), target=[0, 0, 0], up=[0, 0, 1])
                .scale([light.half_size, light.half_size, 1.0]),
                "emitter": {"type": "area", "radiance": _rgb([light.radiance] * 3)},
            }
        for index, obj in enumerate(scene.objects):
            for part, shape in enumerate(self._object_shapes(obj)):
                desc[f"object_{index}_{part}"] = shape
        return desc

    def _object_shapes(self, obj: SceneObject) -> list[dict[str, Any]]:
        transform = self.mi.ScalarTransform4f
        bsdf = _material(obj)
        x, y, z = obj.center
        r = obj.radius
        if obj.shape == "sphere":
            return [{"type": "sphere", "center": [x, y, z], "radius": r, "bsdf": bsdf}]
        if obj.shape == "cube":
            # Mitsuba's cube spans [-1, 1]^3; CLEVR's cube has half side r / sqrt(2) (= z).
            return [
                {
                    "type": "cube",
                    "to_world": transform()
                    .translate([x, y, z])
                    .rotate([0, 0, 1], obj.rotation)
                    .scale(z),
                    "bsdf": bsdf,
                }
            ]
        # Closed cylinder of radius r and height 2r: an open tube plus a top and a bottom disk
        # (a disk faces +z; the bottom one is turned over to face the ground).
        top = 2.0 * z
        return [
            {"type": "cylinder", "p0": [x, y, 0.0], "p1": [x, y, top], "radius": r, "bsdf": bsdf},
            {"type": "disk", "to_world": transform().translate([x, y, top]).scale(r), "bsdf": bsdf},
            {
                "type": "disk",
                "to_world": transform().translate([x, y, 0.0]).rotate([1, 0, 0], 180).scale(r),
                "bsdf": bsdf,
            },
        ]

    def render(self, scene: Scene, seed: int) -> np.ndarray:
        """Render to an (height, width, 3) uint8 sRGB array; the same seed gives the same noise,
        so two scenes that differ in a few objects differ only around those objects."""
        mi = self.mi
        loaded = self._load(self.scene_dict(scene))
        image = mi.render(loaded, seed=seed % 2**32)
        bitmap = mi.Bitmap(image).convert(
            mi.Bitmap.PixelFormat.RGB, mi.Struct.Type.UInt8, srgb_gamma=True
        )
        return np.array(bitmap, copy=True)

    def _load(self, desc: dict[str, Any]) -> Any:
        """Load a scene whose emitters are in name order.

        Mitsuba picks a light for next-event estimation by its index in the scene's emitter
        list, and that list is occasionally built in another order, which changes the noise
        pattern of an otherwise identical render. Reloading until the order is canonical keeps
        the same seed giving the same pixels (and an original and its edit the same noise).
        """
        mi = self.mi
        for _ in range(LOAD_TRIES):
            loaded = mi.load_dict(desc, parallel=False)
            names = [_emitter_name(emitter) for emitter in loaded.emitters()]
            if names == sorted(names):
                return loaded
        raise RuntimeError(f"Mitsuba kept loading emitters out of order ({names})")


def _emitter_name(emitter: Any) -> str:
    shape = emitter.get_shape()
    return str(shape.id() if shape is not None else emitter.id())


def _rgb(value: list[float]) -> dict[str, Any]:
    return {"type": "rgb", "value": [float(v) for v in value]}


def _material(obj: SceneObject) -> dict[str, Any]:
    color = list(linear_rgb(obj.color))
    if obj.material == "metal":
        # material "none" makes the conductor's reflectance exactly `specular_reflectance`.
        return {
            "type": "roughconductor",
            "material": "none",
            "alpha": METAL_ROUGHNESS,
            "specular_reflectance": _rgb(color),
        }
    return {"type": "roughplastic", "alpha": RUBBER_ROUGHNESS, "diffuse_reflectance": _rgb(color)}
