"""Stimulus sources of the recognition benchmark (bench/recognition.py): objects, learning looks and new views.

Every source gives ``size`` objects (ids ``0 .. size-1``), deterministic by seed, as 64x64 RGB uint8
frames:

* ``learning_look(obj, frames, seed)``: the frames of one learning episode (the learning view with a
  tiny +-1 px jitter per frame);
* ``view(obj, kind, seed)``: one new view of the object; ``kind`` in ``source.kinds`` (``same`` is the
  learning view itself, seen again);
* ``blank()``: the frame shown in the gap between two objects.

The bench learns N objects and probes them against N never-seen ones (:meth:`Source.learned_ids`,
:meth:`Source.novel_ids`): ``0 .. N-1`` and ``size//2 .. size//2 + N - 1``, except ``sim`` (below).

Sources:

* :class:`PhotoSource` (``photos``): 64x64 regions of the real photographs that ship inside the
  scikit-image wheel (only images stored in the wheel, never the ones scikit-image fetches with pooch)
  and scikit-learn's two sample photos, at five scales (the photo downscaled to 1, 0.7, 0.5, 0.35,
  0.25), plus the 200 faces of ``skimage.data.lfw_subset`` upscaled. Regions do not overlap (2 px apart
  on a grid at each scale); flat regions (pixel std <= 10) are dropped. New views are made on the
  photo, not the crop, so new content enters at the border like a real camera move: ``shift``
  (4 px in a random direction), ``scale`` (x0.9 or x1.1), ``rotation`` (+-10 deg), ``lighting``
  (gain x0.75 or x1.3 and gamma 0.8 or 1.25).
* :class:`DigitsSource` (``digits``): scikit-learn's 1797 handwritten digits (8x8) upscaled to 48x48 on
  a 64x64 black canvas, same view kinds (a second real source, to see whether results transfer).
* ``sim``: procedurally generated objects rendered in the embedded simulator
  (:class:`hebbian_ros.sim.many_objects.ManyObjects`), kinds ``shift``, ``scale``, ``rotation``,
  ``lighting``, ``pose``. No two objects share an appearance (family, parts, colours, lying or upright):
  such twins are one image up to proportions, so calling one familiar after the other is no error. The
  generator's simple families run out first, so learned and never-seen objects alternate (even and odd
  ids) to come from the same mix at every N.
* ``meshes``: pybullet_data's 1000 random objects (:class:`MeshSource`), meshes nobody here made, each with its
  own colour, rendered by the embedded simulator with the generated objects' view kinds (``pose`` included):
  a new pose measured on shapes this project did not design. Learned and never-seen ids alternate as for ``sim``.
* ``sim_twins``: the generator's draws as they come, twins included (30 % of the never-seen objects have a
  learned twin at N = 300, 52 % at N = 1000), with learned and never-seen ids as for the image sources: the
  source of RESULTS 5 - 5p.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable
from functools import cached_property

import numpy as np

SIZE = 64
BLANK_GREY = 128

#: skimage.data images stored inside the wheel (no pooch download): colour, then grey
SKIMAGE_COLOUR = (
    "astronaut",
    "chelsea",
    "coffee",
    "rocket",
    "hubble_deep_field",
    "immunohistochemistry",
    "retina",
)
SKIMAGE_GREY = ("camera", "brick", "grass", "gravel", "moon", "coins", "clock", "cell", "page", "text")
PHOTO_SCALES = (1.0, 0.7, 0.5, 0.35, 0.25)
#: half-width of the photo around a crop's centre that any view may sample (rotation 10 deg, x0.9, 4 px shift)
REACH = 38


def _skimage_photo(name: str) -> np.ndarray:
    """One skimage.data image from the wheel; refuses anything that would need a download."""
    import skimage.data as data

    image = data.stereo_motorcycle()[0] if name == "motorcycle" else getattr(data, name)()
    return np.asarray(image)


def _rgb(image: np.ndarray) -> np.ndarray:
    image = np.asarray(image, np.float32)
    if image.ndim == 2:
        image = np.repeat(image[..., None], 3, axis=2)
    return image[..., :3]


def _downscale(image: np.ndarray, scale: float) -> np.ndarray:
    if scale == 1.0:
        return image
    from skimage.transform import rescale

    return rescale(image, scale, channel_axis=2, anti_aliasing=True, preserve_range=True).astype(np.float32)


def sample_view(
    photo: np.ndarray,
    centre: tuple[float, float],
    shift: tuple[float, float] = (0.0, 0.0),
    scale: float = 1.0,
    angle_deg: float = 0.0,
    gain: float = 1.0,
    gamma: float = 1.0,
) -> np.ndarray:
    """A 64x64 uint8 camera view of ``photo`` (H, W, 3 float 0..255) centred at ``centre`` (row, col).

    The camera moves over the photo: ``shift`` (rows, cols px), zoom ``scale`` (> 1: closer, the
    object looks bigger), in-plane rotation ``angle_deg``; then the lighting: ``255 (gain x/255)^gamma``.
    Bilinear sampling (integer shifts at scale 1 and angle 0 copy pixels exactly).
    """
    from scipy.ndimage import map_coordinates

    grid = np.arange(SIZE, dtype=np.float64) - (SIZE - 1) / 2
    v, u = np.meshgrid(grid, grid, indexing="ij")
    c, s = math.cos(math.radians(angle_deg)), math.sin(math.radians(angle_deg))
    rows = centre[0] + shift[0] + (c * v - s * u) / scale
    cols = centre[1] + shift[1] + (s * v + c * u) / scale
    out = np.empty((SIZE, SIZE, 3), np.float32)
    for k in range(3):
        out[..., k] = map_coordinates(photo[..., k], [rows, cols], order=1, mode="reflect")
    if gain != 1.0 or gamma != 1.0:
        out = 255.0 * np.power(np.clip(gain * out / 255.0, 0.0, 1.0), gamma)
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def view_parameters(kind: str, rng: np.random.Generator) -> dict:
    """Camera/lighting change of a view kind (random direction or sign, fixed magnitude)."""
    if kind == "same":
        return {}
    if kind == "shift":
        a = rng.uniform(0, 2 * math.pi)
        return {"shift": (4.0 * math.sin(a), 4.0 * math.cos(a))}
    if kind == "scale":
        return {"scale": float(rng.choice([0.9, 1.1]))}
    if kind == "rotation":
        return {"angle_deg": float(rng.choice([-10.0, 10.0]))}
    if kind == "lighting":
        return {"gain": float(rng.choice([0.75, 1.3])), "gamma": float(rng.choice([0.8, 1.25]))}
    raise ValueError(f"unknown view kind {kind!r}")


class Source:
    """Objects with a learning view and new views (see module docstring)."""

    name = "source"
    kinds: tuple[str, ...] = ("same", "shift", "scale", "rotation", "lighting")
    size = 0

    def __init__(self, seed: int = 0) -> None:
        self.seed = int(seed)

    def learned_ids(self, n: int) -> list[int]:
        self._check(n)
        return list(range(n))

    def novel_ids(self, n: int) -> list[int]:
        self._check(n)
        return list(range(self.size // 2, self.size // 2 + n))

    @property
    def max_n(self) -> int:
        return self.size // 2

    def _check(self, n: int) -> None:
        if n > self.max_n:
            raise ValueError(f"{self.name}: {n} objects asked, the source holds 2 x {self.max_n}")

    def _rng(self, obj: int, kind: str, seed: int) -> np.random.Generator:
        return np.random.default_rng([self.seed, obj, sum(map(ord, kind)), seed])

    def blank(self) -> np.ndarray:
        return np.full((SIZE, SIZE, 3), BLANK_GREY, np.uint8)

    def learning_look(self, obj: int, frames: int, seed: int = 0) -> np.ndarray:
        raise NotImplementedError

    def view(self, obj: int, kind: str, seed: int = 0) -> np.ndarray:
        raise NotImplementedError

    def describe(self) -> dict:
        return {"name": self.name, "objects": self.size, "kinds": list(self.kinds), "seed": self.seed}


class _ImageSource(Source):
    """Objects = (image, centre) pairs; views sampled with :func:`sample_view`."""

    def _objects(self) -> tuple[list[np.ndarray], list[tuple[int, float, float]]]:
        raise NotImplementedError

    @cached_property
    def _data(self) -> tuple[list[np.ndarray], list[tuple[int, float, float]]]:
        images, objects = self._objects()
        order = np.random.default_rng(self.seed).permutation(len(objects))
        return images, [objects[i] for i in order]

    @property
    def size(self) -> int:  # type: ignore[override]
        return len(self._data[1])

    def _sample(self, obj: int, **params) -> np.ndarray:
        images, objects = self._data
        image, r, c = objects[obj]
        return sample_view(images[image], (r, c), **params)

    def learning_look(self, obj: int, frames: int, seed: int = 0) -> np.ndarray:
        rng = self._rng(obj, "learn", seed)
        jitter = rng.integers(-1, 2, size=(frames, 2))
        return np.stack([self._sample(obj, shift=(float(dy), float(dx))) for dy, dx in jitter])

    def view(self, obj: int, kind: str, seed: int = 0) -> np.ndarray:
        return self._sample(obj, **view_parameters(kind, self._rng(obj, kind, seed)))


class PhotoSource(_ImageSource):
    """Regions of real photographs shipped in the scikit-image and scikit-learn wheels."""

    name = "photos"

    def _photos(self) -> dict[str, np.ndarray]:
        from sklearn.datasets import load_sample_images

        photos = {name: _rgb(_skimage_photo(name)) for name in (*SKIMAGE_COLOUR, "motorcycle")}
        sample = load_sample_images()
        for filename, image in zip(sample.filenames, sample.images):
            photos["sklearn_" + filename.replace("\\", "/").rsplit("/", 1)[-1]] = _rgb(image)
        photos.update({name: _rgb(_skimage_photo(name)) for name in SKIMAGE_GREY})
        return photos

    def _objects(self) -> tuple[list[np.ndarray], list[tuple[int, float, float]]]:
        images: list[np.ndarray] = []
        objects: list[tuple[int, float, float]] = []
        self.origin: list[str] = []
        stride = SIZE + 2
        for name, photo in self._photos().items():
            for scale in PHOTO_SCALES:
                image = _downscale(photo, scale)
                index = len(images)
                images.append(image)
                height, width = image.shape[:2]
                for top in range(REACH - SIZE // 2, height - REACH - SIZE // 2 + 1, stride):
                    for left in range(REACH - SIZE // 2, width - REACH - SIZE // 2 + 1, stride):
                        crop = image[top : top + SIZE, left : left + SIZE]
                        if crop.std() > 10 and crop.mean(axis=(0, 1)).max() > 20:
                            objects.append((index, top + (SIZE - 1) / 2, left + (SIZE - 1) / 2))
        import skimage.data as data

        for face in np.asarray(data.lfw_subset(), np.float32):  # 200 faces, 25x25, 0..1
            image = _downscale(_rgb(face * 255.0), 76 / 25)
            images.append(image)
            objects.append((len(images) - 1, (image.shape[0] - 1) / 2, (image.shape[1] - 1) / 2))
        return images, objects


class DigitsSource(_ImageSource):
    """scikit-learn's handwritten digits, 8x8 upscaled to 48x48 on a black 64x64 (+ margin) canvas."""

    name = "digits"

    def _objects(self) -> tuple[list[np.ndarray], list[tuple[int, float, float]]]:
        from sklearn.datasets import load_digits

        digits = load_digits().images.astype(np.float32) * (255.0 / 16.0)
        images, objects = [], []
        pad = REACH - SIZE // 2 + 8
        for digit in digits:
            image = np.zeros((SIZE + 2 * pad, SIZE + 2 * pad, 3), np.float32)
            big = _downscale(_rgb(digit), 6.0)
            o = pad + (SIZE - big.shape[0]) // 2
            image[o : o + big.shape[0], o : o + big.shape[1]] = big
            images.append(image)
            objects.append((len(images) - 1, (image.shape[0] - 1) / 2, (image.shape[1] - 1) / 2))
        return images, objects

    def blank(self) -> np.ndarray:
        return np.zeros((SIZE, SIZE, 3), np.uint8)

    @cached_property
    def _labels(self) -> np.ndarray:
        from sklearn.datasets import load_digits

        return load_digits().target

    def digit(self, obj: int) -> str:
        """The digit object ``obj`` shows: many handwritten samples of one digit look alike at 8 x 8 pixels."""
        return str(int(self._labels[self._data[1][obj][0]]))

    @property
    def categories(self) -> dict[str, Callable[[int], Hashable]]:
        """What an object is a sample of (bench/recognition.py ``by_category``)."""
        return {"digit": self.digit}


class SimSource(Source):
    """Procedurally generated objects rendered by the embedded simulator (hebbian_ros.sim.many_objects)."""

    name = "sim"
    kinds = ("same", "shift", "scale", "rotation", "lighting", "pose")
    distinct = True

    def __init__(
        self, seed: int = 0, size: int = 2000, learning_turn: float = 0.0, pose_turn: float | None = None
    ) -> None:
        super().__init__(seed)
        from hebbian_ros.sim.many_objects import POSE_TURN, ManyObjects

        turn = POSE_TURN if pose_turn is None else pose_turn  # deg: the ``pose`` view's (self.objects.pose_turn)
        self.objects = ManyObjects(size, seed=seed, distinct=self.distinct, pose_turn=turn)
        self.size = size
        self.learning_turn = float(learning_turn)  # deg: the object turns -turn .. +turn during its learning look

    def learned_ids(self, n: int) -> list[int]:
        if not self.distinct:
            return super().learned_ids(n)
        self._check(n)
        return list(range(0, 2 * n, 2))

    def novel_ids(self, n: int) -> list[int]:
        if not self.distinct:
            return super().novel_ids(n)
        self._check(n)
        return list(range(1, 2 * n, 2))

    def blank(self) -> np.ndarray:
        return self.objects.blank()

    def learning_look(self, obj: int, frames: int, seed: int = 0) -> np.ndarray:
        return self.objects.learning_look(obj, frames, seed=seed, turn=self.learning_turn)

    def view(self, obj: int, kind: str, seed: int = 0) -> np.ndarray:
        return self.objects.view(obj, kind, seed=seed)

    def describe(self) -> dict:
        return {**super().describe(), **self.objects.describe(), "learning_turn": self.learning_turn}

    def _appearance(self, obj: int) -> tuple:
        """Object ``obj``'s family, part kinds, part colours, lying or upright (``many_objects.appearance``)."""
        from hebbian_ros.sim.many_objects import appearance

        return appearance(self.objects.spec(obj))

    def shape(self, obj: int) -> tuple:
        """Object ``obj``'s shape: family, part kinds, lying or upright (its appearance without colours)."""
        family, kinds, _, lying = self._appearance(obj)
        return family, kinds, lying

    def colours(self, obj: int) -> tuple:
        """The colours of object ``obj``'s parts (palette indices, each once, sorted), whatever its shape."""
        return tuple(sorted(set(self._appearance(obj)[2])))

    @property
    def categories(self) -> dict[str, Callable[[int], Hashable]]:
        """What two distinct generated objects may share (bench/recognition.py ``by_category``): shape or colours."""
        return {"shape": self.shape, "colours": self.colours}

    def group(self, obj: int) -> str:
        """What kind of object ``obj`` is: its family, and ``-lying`` for a cylinder or capsule on its side."""
        family, _, _, lying = self._appearance(obj)
        return family + ("-lying" if lying else "")


class TwinsSimSource(SimSource):
    """The generated objects with twins, as RESULTS 5 - 5p measured them."""

    name = "sim_twins"
    distinct = False


class MeshSource(SimSource):
    """pybullet_data's random objects: 1000 meshes nobody here made, rendered by the embedded simulator.

    ``pybullet_data/random_urdfs`` (inside the pybullet wheel) holds 1000 procedurally made shapes, each an OBJ of
    a few convex parts with its own colour and a scale in its URDF. They come here as made: the URDF's colour and
    scale, the mesh's own orientation, resting on the ground (:func:`hebbian_ros.sim.many_objects.mesh_object`);
    only the yaw is drawn, per ``seed``, which also shuffles their order. The files whose mesh MuJoCo cannot load
    (a vertex that is not a number) or whose shape is flatter than 5 mm are left out. The view kinds are the
    generated objects' (``pose`` included), so a new pose is measured on shapes this project did not make.
    """

    name = "meshes"
    #: thinner than this [m] on some axis once scaled: a sheet, which the camera sees edge-on or not at all
    MIN_EXTENT = 0.005

    def __init__(self, seed: int = 0, learning_turn: float = 0.0, pose_turn: float | None = None) -> None:
        Source.__init__(self, seed)
        from hebbian_ros.sim.many_objects import POSE_TURN, ManyObjects

        specs = self._specs()
        turn = POSE_TURN if pose_turn is None else pose_turn
        self.objects = ManyObjects(len(specs), seed=seed, pose_turn=turn, specs=specs)
        self.size = len(specs)
        self.learning_turn = float(learning_turn)

    @staticmethod
    def folder():
        """``random_urdfs`` in the installed pybullet_data (bench/requirements.txt installs pybullet)."""
        from pathlib import Path

        import pybullet_data

        return Path(pybullet_data.getDataPath()) / "random_urdfs"

    def _specs(self) -> list:
        import re

        from hebbian_ros.sim.many_objects import mesh_object
        from hebbian_ros.sim.mesh_file import MeshError, mesh_vertices

        rng = np.random.default_rng([self.seed, 21])
        usable = []
        for urdf in sorted(self.folder().glob("*/*.urdf")):
            text = urdf.read_text()
            mesh = urdf.parent / re.search(r'<mesh filename="([^"]+)"', text).group(1)
            scale = float(re.search(r'scale="([^" ]+)', text).group(1))
            rgb = tuple(float(v) for v in re.search(r'<color rgba="([^"]+)"', text).group(1).split()[:3])
            try:
                vertices = mesh_vertices(mesh) * scale
            except MeshError:
                continue
            if (vertices.max(axis=0) - vertices.min(axis=0)).min() >= self.MIN_EXTENT:
                usable.append((mesh, rgb, scale))
        order = rng.permutation(len(usable))
        yaws = rng.uniform(-math.pi, math.pi, len(usable))
        return [mesh_object(i, *usable[k], yaw=float(yaws[i])) for i, k in enumerate(order)]

    categories: dict = {}  # noqa: RUF012 - no categories: every object has its own shape and colour
    group = None  # one kind of object

    def describe(self) -> dict:
        return {**super().describe(), "files": "pybullet_data/random_urdfs"}


SOURCES = {
    "photos": PhotoSource,
    "digits": DigitsSource,
    "sim": SimSource,
    "sim_twins": TwinsSimSource,
    "meshes": MeshSource,
}


def make_source(name: str, seed: int = 0, learning_turn: float = 0.0, pose_turn: float | None = None) -> Source:
    """Source ``name``; ``learning_turn`` [deg] > 0 turns the object during its learning look, ``pose_turn`` [deg]
    sets the ``pose`` view's turn (generated objects only: a photograph or a digit has no other side)."""
    if name not in SOURCES:
        raise ValueError(f"unknown source {name!r}; have {sorted(SOURCES)}")
    if issubclass(SOURCES[name], SimSource):
        return SOURCES[name](seed, learning_turn=learning_turn, pose_turn=pose_turn)
    if learning_turn or pose_turn is not None:
        raise ValueError(f"learning_turn, pose_turn: source {name!r} has no 3D objects to turn (sim, sim_twins have)")
    return SOURCES[name](seed)
