"""Sunrise and sunset, computed on the board: the sunrise equation (NOAA's approximations, within a minute
or two away from the poles), for the schedules that follow the sun.

A board's floats are 32 bits (7 digits): a Julian date in them would be a quarter of a day out, so the day
is kept as a whole number and only the fraction of it is computed in floats.
"""
from math import acos, asin, cos, pi, sin

RAD = pi / 180
SIN_TILT = sin(23.4397 * RAD)  # the Earth's axial tilt
SIN_HORIZON = sin(-0.833 * RAD)  # the sun's upper edge on the horizon, refraction included


def sun_times(day, latitude, longitude):
    """(sunrise, sunset) in UTC seconds on the UTC date `day` (days since 1970-01-01), east longitude
    positive; None where the sun does not rise or does not set that day."""
    n = day - 10957  # days since J2000.0 (2000-01-01 12:00 UTC) at this date's noon
    mean_m = (357.5291 + 0.98560028 * (n - longitude / 360)) % 360 * RAD  # the mean anomaly
    centre = (1.9148 * sin(mean_m) + 0.02 * sin(2 * mean_m) + 0.0003 * sin(3 * mean_m)) * RAD
    ecliptic = (mean_m + centre + (180 + 102.9372) * RAD) % (2 * pi)
    transit = -longitude / 360 + 0.0053 * sin(mean_m) - 0.0069 * sin(2 * ecliptic)  # of a day, from noon UTC
    declination = asin(sin(ecliptic) * SIN_TILT)
    lat = latitude * RAD
    cos_hour = (SIN_HORIZON - sin(lat) * sin(declination)) / (cos(lat) * cos(declination))
    if not -1 <= cos_hour <= 1:
        return None
    half = acos(cos_hour) / (2 * pi)  # half the day the sun is up, of a day
    noon = day * 86400 + 43200
    return noon + int((transit - half) * 86400), noon + int((transit + half) * 86400)
