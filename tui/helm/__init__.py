"""Helm: releases decoded from Helm's own storage, and rollbacks through pyhelm3."""
