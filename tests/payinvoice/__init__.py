"""Tests of the pure core (payinvoice/), laid out as it is."""
