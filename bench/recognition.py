"""Recognition accuracy and speed on a folder laid out like openalpr-dev.

    python bench/recognition.py DATASET_DIR [--json OUT.json] [--countries auto|all]

DATASET_DIR holds ``manifest.csv`` (``region,image_path,x,y,w,h,plate``) and the
images. Prints, per region and overall: detection rate (a read whose box has
IoU >= 0.4 with the annotated one), exact-match accuracy (also with O->0 and
I->1 folded on both sides), character error rate, median and p95 milliseconds
per image (file bytes to reads, decoding included, one image at a time),
reads per image away from the annotated plate (another vehicle's plate, or
text taken for a plate), images per second using both cores, and peak RSS.

With ``--countries auto`` each region is read with the syntaxes of its
countries, as a camera would be configured (us: US; eu: the EU countries;
br: BR); ``all`` considers every syntax for every image.
"""

from __future__ import annotations

import argparse
import csv
import json
import resource
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from platekeeper.recognition import PlateRead, RecognitionSettings, Recognizer, decode_image
from platekeeper.recognition.geometry import box_iou

REGION_COUNTRIES = {
    "us": ("US",),
    "eu": ("SK", "CZ", "PL", "DE", "GB", "FR", "IT", "HU", "AT"),
    "br": ("BR",),
}
MAX_PIXELS = 64_000_000


@dataclass
class Row:
    region: str
    path: Path
    box: tuple[float, float, float, float]
    plate: str


@dataclass
class Outcome:
    region: str
    detected: bool
    exact: bool
    folded: bool
    edits: int
    length: int
    ms: float
    read: str
    others: int
    """Reads away from the annotated plate: another vehicle's plate, or text
    (a state name, a dealer's frame) taken for one."""


def fold(text: str) -> str:
    return text.replace("O", "0").replace("I", "1")


def edit_distance(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def load_manifest(root: Path) -> list[Row]:
    with (root / "manifest.csv").open(newline="") as handle:
        return [
            Row(
                region=r["region"],
                path=root / r["image_path"],
                box=(float(r["x"]), float(r["y"]), float(r["w"]), float(r["h"])),
                plate=r["plate"].strip().upper(),
            )
            for r in csv.DictReader(handle)
        ]


def countries_for(region: str, mode: str) -> tuple[str, ...] | None:
    if mode == "all":
        return None
    return REGION_COUNTRIES.get(region)


def score(row: Row, reads: list[PlateRead], ms: float) -> Outcome:
    best, best_iou = None, 0.0
    for read in reads:
        iou = box_iou(tuple(float(v) for v in read.box), row.box)  # type: ignore[arg-type]
        if iou > best_iou:
            best, best_iou = read, iou
    detected = best is not None and best_iou >= 0.4
    others = sum(
        box_iou(tuple(float(v) for v in read.box), row.box) < 0.1  # type: ignore[arg-type]
        for read in reads
    )
    text = best.text if detected and best is not None else ""
    return Outcome(
        region=row.region,
        detected=detected,
        exact=text == row.plate,
        folded=fold(text) == fold(row.plate),
        edits=edit_distance(fold(text), fold(row.plate)),
        length=len(row.plate),
        ms=ms,
        read=text,
        others=others,
    )


def summarise(outcomes: list[Outcome]) -> dict[str, float]:
    n = len(outcomes)
    times = sorted(o.ms for o in outcomes)
    return {
        "images": n,
        "detection_rate": sum(o.detected for o in outcomes) / n,
        "exact": sum(o.exact for o in outcomes) / n,
        "exact_folded": sum(o.folded for o in outcomes) / n,
        "cer": sum(o.edits for o in outcomes) / max(1, sum(o.length for o in outcomes)),
        "median_ms": statistics.median(times),
        "p95_ms": times[min(n - 1, int(round(0.95 * (n - 1))))],
        "other_reads_per_image": sum(o.others for o in outcomes) / n,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dataset", type=Path)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--countries", choices=["auto", "all"], default="auto")
    parser.add_argument("--limit", type=int, default=0, help="only the first N images")
    parser.add_argument("--misses", action="store_true", help="list every wrong read")
    parser.add_argument(
        "--ocr",
        choices=["ppocr-v6", "ppocr-v4", "plate"],
        default=None,
        help="OCR model (default: settings')",
    )
    parser.add_argument(
        "--detector",
        choices=["ppocr", "fast"],
        default=None,
        help="plate localisation (default: settings')",
    )
    args = parser.parse_args()

    rows = load_manifest(args.dataset)
    if args.limit:
        rows = rows[: args.limit]
    blobs = {row.path: row.path.read_bytes() for row in rows}

    chosen = {
        key: value for key, value in (("ocr", args.ocr), ("detector", args.detector)) if value
    }
    recognizer = Recognizer(RecognitionSettings(**chosen))
    # Warm-up: the first inference of each model allocates its buffers.
    recognizer.read_bytes(blobs[rows[0].path])

    outcomes = []
    for row in rows:
        start = time.perf_counter()
        reads = recognizer.read_bytes(
            blobs[row.path], countries=countries_for(row.region, args.countries)
        )
        outcomes.append(score(row, reads, (time.perf_counter() - start) * 1000))
        if args.misses and not outcomes[-1].folded:
            print(
                f"miss {row.path.name}: want {row.plate} got {outcomes[-1].read or '-'}",
                file=sys.stderr,
            )

    # Throughput: the same engine, two images at a time (one per core), as a
    # server shares one engine between its threads; so the peak RSS is that
    # of one engine serving.
    parallel = recognizer

    def one(row: Row) -> None:
        img = decode_image(blobs[row.path], max_pixels=MAX_PIXELS)
        parallel.read(img, countries=countries_for(row.region, args.countries))

    one(rows[0])
    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(one, rows))
    images_per_second = len(rows) / (time.perf_counter() - start)

    figures: dict[str, object] = {}
    for region in sorted({o.region for o in outcomes}):
        figures[region] = summarise([o for o in outcomes if o.region == region])
    figures["overall"] = summarise(outcomes)
    figures["images_per_second_2_cores"] = images_per_second
    figures["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    header = ("region", "images", "detect", "exact", "folded", "CER", "med ms", "p95 ms", "others")
    print("{:8} {:>6} {:>7} {:>7} {:>7} {:>6} {:>7} {:>7} {:>6}".format(*header))
    for name, f in figures.items():
        if isinstance(f, dict):
            print(
                f"{name:8} {f['images']:6d} {f['detection_rate']:7.1%} {f['exact']:7.1%} "
                f"{f['exact_folded']:7.1%} {f['cer']:6.3f} {f['median_ms']:7.1f} "
                f"{f['p95_ms']:7.1f} {f['other_reads_per_image']:6.2f}"
            )
    print(f"images/s (2 cores): {images_per_second:.1f}")
    print(f"peak RSS: {figures['peak_rss_mb']:.0f} MB")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
