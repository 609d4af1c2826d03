package veil

default allow := false
