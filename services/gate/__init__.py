"""The gate: staff open a gate on a device (what it admits), scan tickets online or offline, and
see counters; admins see every gate and the conflicts of offline scans.

  scope.py     what a gate admits, and the pure check of a ticket's claims against it
  checkin.py   one scan: verify, check, and the atomic check-in with its scan record; offline sync
  gates.py     opening and closing gates, and what there is to admit
  tokens.py    the signed token a console sends with each scan
  offline.py   what a console keeps to validate without the network
  counters.py  admitted, expected, rejected by reason, per gate and in total; the conflicts report
"""
