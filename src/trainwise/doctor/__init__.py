"""The training doctor: finds what is wrong with a training run and says how to fix it.

``Doctor`` works in any PyTorch loop (see :class:`~trainwise.doctor.doctor.Doctor`);
``DoctorCallback`` plugs it into trainwise's own loop. Findings are :class:`Finding` objects
with a :class:`Fix`.
"""

from trainwise.doctor.callback import DoctorCallback
from trainwise.doctor.doctor import Doctor
from trainwise.doctor.finding import CODES, Finding, Fix, rank

__all__ = ["CODES", "Doctor", "DoctorCallback", "Finding", "Fix", "rank"]
