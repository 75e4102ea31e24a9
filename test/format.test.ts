// Counts with their noun and shares that never round up to 100% unless they are 100%.
import test from 'ava';
import { fixedBelow, fraction, percent, plural, thousands } from '../lib/format';

test('plural: one thread, two threads, 10,000 images', (t) => {
  t.is(plural(1, 'epoch'), '1 epoch');
  t.is(plural(0, 'epoch'), '0 epochs');
  t.is(plural(2, 'thread'), '2 threads');
  t.is(plural(1, 'batch', 'batches'), '1 batch');
  t.is(plural(20, 'batch', 'batches'), '20 batches');
  t.is(plural(10000, 'image'), '10,000 images');
});

test('thousands: digits grouped in threes, as parameter counts print', (t) => {
  t.is(thousands(0), '0');
  t.is(thousands(999), '999');
  t.is(thousands(1000), '1,000');
  t.is(thousands(1234567), '1,234,567');
});

test('percent and fraction never print 100 (or 1.0000) for less than that', (t) => {
  t.is(percent(0.9995, 1), '99.9%');
  t.is(percent(0.9995, 2), '99.95%');
  t.is(percent(0.99996, 2), '99.99%');
  t.is(percent(0.999999), '99.99%');
  t.is(percent(1), '100.00%');
  t.is(percent(1, 1), '100.0%');
  t.is(percent(0.98765), '98.77%', 'rounds as usual below the cap');
  t.is(percent(0), '0.00%');
  t.is(fraction(0.99996), '0.9999');
  t.is(fraction(0.99994), '0.9999');
  t.is(fraction(1), '1.0000');
  t.is(fraction(0.12345), '0.1235');
  t.is(fixedBelow(99.951, 1, 100), '99.9', '99.951 at one digit');
});
