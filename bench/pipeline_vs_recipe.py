"""The input pipeline against the recipe's way: first-batch time of every epoch, speed, peak memory.

Both sides train the same network (the recipe's CNN from cifar_tui.core.training.model, same
precision, batch 64) on the full 50,000 training images of the real archive with the recipe's
augmentation (rotation up to 15 degrees, shifts up to 10%, horizontal flips), each side in its
own process:

- **recipe's way**: what the 2018 recipe did, in Keras 3 terms: the images as float32 arrays,
  z-scored in NumPy up front (x_train and x_test: 737 MB), and a `keras.utils.PyDataset` that,
  like Keras 2's `ImageDataGenerator.flow`, shuffles each epoch and augments every image of a
  batch in Python/NumPy (a bilinear affine warp with edge replication, as `ImageDataGenerator`'s
  `fill_mode="nearest"`). The model gets float32 input (no normalisation layer).
- **cifar-tui**: uint8 arrays (184 MB), normalisation inside the model, augmentation in tf.data
  (cifar_tui.core.training.pipeline.training_dataset: stateless per-(seed, epoch, step) ops,
  one iterator for the whole fit), exactly what `cifar-tui train` feeds.

Per epoch it reports the time from the epoch's start to the end of its first batch (a stall at
the start of an epoch shows here), training images/s, and the process's peak resident memory
(VmHWM) at the end.

    .venv/bin/python bench/pipeline_vs_recipe.py --data-dir ../shared/data [--epochs 3]
        [--train-size 50000]
"""

from __future__ import annotations

import argparse
import textwrap

from benchkit import run_json_script

COMMON = textwrap.dedent(
    """
    import json, os, sys, time
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    import numpy as np
    import keras
    from cifar_tui.core.training import model as M
    from cifar_tui.core.training import pipeline as P
    from cifar_tui.core.training import tfenv
    from cifar_tui.core.data.cifar10 import load_cifar10
    from cifar_tui.core.data.locate import find_cifar10
    from cifar_tui.core.presets import preset
    config = preset("recipe-2018").replace(epochs=int(sys.argv[2]), train_size=int(sys.argv[3]))
    data = load_cifar10(find_cifar10(sys.argv[1]), train_size=config.train_size)
    policy = tfenv.choose_precision(config.mixed_precision, False, tfenv.cpu_supports_bf16())
    keras.mixed_precision.set_global_policy(policy)
    keras.utils.set_random_seed(config.seed)
    steps = len(data.x_train) // config.batch_size
    epochs = []

    class Clock(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()
            self.first = None
        def on_train_batch_end(self, batch, logs=None):
            if self.first is None:
                self.first = time.perf_counter() - self.start
        def on_epoch_end(self, epoch, logs=None):
            seconds = time.perf_counter() - self.start
            epochs.append({"first_batch": self.first, "seconds": seconds,
                           "images_per_second": steps * config.batch_size / seconds})

    def peak_rss_mb():
        for line in open("/proc/self/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    """
)

# cifar-tui's way: uint8 in memory, normalisation in the model, augmentation in tf.data.
OURS = COMMON + textwrap.dedent(
    """
    norm = M.compute_normalization(data.x_train, per_channel=False)
    model = M.build_model(config, norm)
    M.compile_model(model, config, config.learning_rate)
    augmentation = P.Augmentation(config.rotation_degrees, config.shift_fraction,
                                  config.horizontal_flip, config.crop_padding, config.cutout)
    dataset = P.training_dataset(data.x_train, data.y_train, batch_size=config.batch_size,
                                 seed=0, augmentation=augmentation, start_epoch=0,
                                 end_epoch=config.epochs)
    model.fit(dataset, epochs=config.epochs, steps_per_epoch=steps, verbose=0,
              callbacks=[Clock()])
    print(json.dumps({"epochs": epochs, "peak_rss_mb": peak_rss_mb()}))
    """
)

# The recipe's way: float32 arrays, z-scored in NumPy, augmented per image in Python/NumPy.
RECIPE = COMMON + textwrap.dedent(
    """
    x_train = data.x_train.astype("float32")
    x_test = data.x_test.astype("float32")  # the recipe normalises (and keeps) both
    mean, std = np.mean(x_train), np.std(x_train)
    x_train = (x_train - mean) / (std + 1e-7)
    x_test = (x_test - mean) / (std + 1e-7)
    y_train = keras.utils.to_categorical(data.y_train, 10)
    rng = np.random.default_rng(config.seed)

    def augment(image):
        # ImageDataGenerator(rotation_range=15, width/height_shift_range=0.1,
        # horizontal_flip=True): one affine warp per image, bilinear, edges replicated.
        size = image.shape[0]
        angle = np.deg2rad(rng.uniform(-15, 15))
        shift_y, shift_x = rng.uniform(-0.1, 0.1, 2) * size
        cos, sin = np.cos(angle), np.sin(angle)
        rows, cols = np.mgrid[0:size, 0:size].astype(np.float32)
        center = (size - 1) / 2
        y, x = rows - center, cols - center
        src_y = cos * y - sin * x + center - shift_y
        src_x = sin * y + cos * x + center - shift_x
        src_y = np.clip(src_y, 0, size - 1)
        src_x = np.clip(src_x, 0, size - 1)
        y0, x0 = np.floor(src_y).astype(int), np.floor(src_x).astype(int)
        y1, x1 = np.minimum(y0 + 1, size - 1), np.minimum(x0 + 1, size - 1)
        wy, wx = (src_y - y0)[..., None], (src_x - x0)[..., None]
        out = (image[y0, x0] * (1 - wy) * (1 - wx) + image[y0, x1] * (1 - wy) * wx
               + image[y1, x0] * wy * (1 - wx) + image[y1, x1] * wy * wx)
        if rng.random() < 0.5:
            out = out[:, ::-1]
        return out

    class Flow(keras.utils.PyDataset):
        # ImageDataGenerator.flow: a new shuffle each epoch, each image augmented in Python.
        def __init__(self):
            super().__init__()
            self.order = rng.permutation(len(x_train))
        def __len__(self):
            return steps
        def __getitem__(self, index):
            picked = self.order[index * config.batch_size:(index + 1) * config.batch_size]
            batch = np.stack([augment(x_train[i]) for i in picked]).astype("float32")
            return batch, y_train[picked]
        def on_epoch_end(self):
            self.order = rng.permutation(len(x_train))

    # The same network on the recipe's float32, already z-scored input (no normalisation layer).
    inputs = keras.Input((32, 32, 3))
    outputs = keras.layers.Activation("softmax", dtype="float32")(M._recipe_body(inputs, config))
    model = keras.Model(inputs, outputs)
    M.compile_model(model, config, config.learning_rate)
    model.fit(Flow(), epochs=config.epochs, verbose=0, callbacks=[Clock()])
    print(json.dumps({"epochs": epochs, "peak_rss_mb": peak_rss_mb()}))
    """
)


def measure(script: str, data_dir: str, epochs: int, train_size: int) -> dict:
    return run_json_script(script, data_dir, str(epochs), str(train_size))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default="../shared/data")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--train-size", type=int, default=50_000)
    args = parser.parse_args()
    sides = {
        "recipe's way (float32 + NumPy PyDataset)": RECIPE,
        "cifar-tui (uint8 + tf.data)": OURS,
    }
    results = {name: measure(script, args.data_dir, args.epochs, args.train_size)
               for name, script in sides.items()}  # fmt: skip
    print(f"recipe-2018 network, batch 64, {args.train_size} training images, "
          f"{args.epochs} epochs, each side in its own process\n")  # fmt: skip
    heads = " | ".join(f"epoch {n}: first batch (s)" for n in range(1, args.epochs + 1))
    print(f"| side | {heads} | img/s, epochs 2+ | peak RSS (MB) |")
    print("|---|" + "---|" * (args.epochs + 2))
    for name, result in results.items():
        firsts = " | ".join(f"{epoch['first_batch']:.3f}" for epoch in result["epochs"])
        later = [epoch["images_per_second"] for epoch in result["epochs"][1:]] or [
            result["epochs"][0]["images_per_second"]
        ]
        print(f"| {name} | {firsts} | {sum(later) / len(later):.0f} | "
              f"{result['peak_rss_mb']:.0f} |")  # fmt: skip
    recipe, ours = results.values()
    print(f"\npeak memory, cifar-tui / recipe's way: "
          f"{ours['peak_rss_mb'] / recipe['peak_rss_mb']:.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
