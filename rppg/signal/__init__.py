"""Signal maths: RGB trace -> pulse -> heart rate, and what else a pulse tells. Pure numpy,
arrays in, arrays out; imports nothing of rppg but its settings.

Conventions: ``rgb`` is a float array of shape (N, 3) with columns R, G, B, sampled
uniformly at ``fs`` Hz; a pulse is shape (N,). Heart rates are in bpm, frequencies in Hz,
times in seconds. Settings (band, windows, spectral resolution) come as one
:class:`rppg.config.SignalConfig` (``sig``); None means its defaults.

    from rppg import signal
    pulse = signal.pos(rgb, fs=30.0)
    pulse = signal.bandpass(signal.detrend(pulse, fs=30.0), fs=30.0, band_hz=(0.7, 3.0))
    hr_bpm, snr_db = signal.estimate_hr(pulse, fs=30.0)
    series = signal.windowed_hr(pulse, fs=30.0)      # 10 s windows, 1 s hop

| module | what |
|---|---|
| ``filters`` | sampling by time onto a uniform grid, frame rate, detrend, zero-phase band-pass |
| ``projections`` | GREEN, CHROM, POS, LGI, OMIT, PBV, ICA |
| ``spectrum`` | periodogram, peak, harmonic guard, SNR, the heart rate of one stretch |
| ``tracking`` | the rate followed across windows: offline (Viterbi) and live (forward pass) |
| ``heart_rate`` | the windows (one convention for all), rate over time, the whole recording's |
| ``beats``, ``hrv``, ``respiration`` | beats and intervals, HRV, breathing rate |
| ``metrics`` | MAE, RMSE, MAPE, Pearson r, with standard errors |

The first four are re-exported here (``signal.pos``, ``signal.bandpass``, ...).
"""

from rppg.signal.filters import (
    bandpass,
    butterworth_gain,
    detrend,
    detrend_bandpass,
    frame_rate,
    normalize_by_moving_mean,
    resample_uniform,
)
from rppg.signal.heart_rate import (
    ESTIMATORS,
    WHOLE_ESTIMATES,
    HrSeries,
    median_of_windows,
    periodogram_hr,
    recording_hr,
    tracked_hr,
    window_ends,
    windowed_hr,
    within,
)
from rppg.signal.projections import PULSE_SIGNATURE_RGB, chrom, green, ica, lgi, omit, pbv, pos
from rppg.signal.spectrum import (
    Spectrum,
    estimate_hr,
    parabolic_offset,
    peak_frequency,
    snr_db,
    spectrum,
    subharmonic,
)

__all__ = [
    "PULSE_SIGNATURE_RGB",
    "ESTIMATORS",
    "WHOLE_ESTIMATES",
    "HrSeries",
    "Spectrum",
    "bandpass",
    "butterworth_gain",
    "chrom",
    "detrend",
    "detrend_bandpass",
    "estimate_hr",
    "frame_rate",
    "green",
    "ica",
    "lgi",
    "median_of_windows",
    "periodogram_hr",
    "normalize_by_moving_mean",
    "omit",
    "parabolic_offset",
    "pbv",
    "peak_frequency",
    "pos",
    "recording_hr",
    "resample_uniform",
    "snr_db",
    "spectrum",
    "subharmonic",
    "tracked_hr",
    "window_ends",
    "windowed_hr",
    "within",
]
