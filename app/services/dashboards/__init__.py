"""The numbers of the dashboards and the exports, aggregated in SQL; one module per view.

Pages and documents read these functions only, so a figure on screen and the same
figure in the 台账 or the 通报 cannot disagree.
"""
