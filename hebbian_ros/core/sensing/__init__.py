"""Sensing: camera images and taxel pressures to firing rates over receptive fields, with habituation."""
