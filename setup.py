"""Packaging: the repository's top-level folders installed under the one `paylab` name.

pyproject.toml holds the metadata; this file only computes the package map, which
pyproject's static tables cannot: every package found under each folder becomes
`paylab.<folder>...`, so a wheel never puts `simulator` or `shop` into site-packages.
"""

from setuptools import find_namespace_packages, setup

#: Folders shipped inside `paylab`: code (Python packages) and data (contracts, schemas).
PARTS = ("simulator", "shop", "suites", "load", "contracts")

# `paylab` itself and its own subpackages (paylab.testing, the pytest plugin).
packages = find_namespace_packages(include=["paylab", "paylab.*"], exclude=["*.__pycache__"])
package_dir = {"paylab": "paylab"}
for part in PARTS:
    package_dir[f"paylab.{part}"] = part
    found = find_namespace_packages(include=[part, f"{part}.*"],
                                    exclude=["*.__pycache__", "*.node_modules*"])
    packages += [f"paylab.{name}" for name in found]

setup(packages=packages, package_dir=package_dir)
