"""The orders module: an order is a quantity of one item.

It knows items only through ItemFinder, a protocol it owns, so the two modules can
change, and one day be split, independently.
"""
