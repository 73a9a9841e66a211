# SPDX-License-Identifier: LGPL-2.1-or-later
"""PyGObject overrides for AsyncRunner (filled in by the Python layer)."""

from ..module import get_introspection_module

AsyncRunner = get_introspection_module('AsyncRunner')

__all__ = []
