import { EXACT_MATCH } from '../graders/index.ts';
import type { TaskItem } from '../engine/task.ts';
import { distinct, type TaskSource } from './build.ts';

const DIGITS = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];
const NAMES = ['Ada', 'Bo', 'Cy', 'Dee', 'Eve', 'Flo'];

// Every record holds two numbers, so "the first digit in the record" is not a shortcut: the field order varies.
const pool: TaskItem[] = [];
NAMES.forEach((name, n) => {
  for (let age = 1; age <= 9; age++) {
    for (let pets = 0; pets <= 9; pets++) {
      if (pets === age) continue;
      const record = (n + age + pets) % 2 === 0 ? `name=${name};age=${age};pets=${pets}` : `name=${name};pets=${pets};age=${age}`;
      pool.push({ prompt: record, reference: String(age), name, age, pets });
    }
  }
});

export const extract: TaskSource = {
  id: 'extract',
  title: 'Extract',
  description:
    'Structured extraction: read the age out of a tiny record, "name=Ada;age=7;pets=2" → "7". The record also ' +
    'holds a number of pets, in either order, so the model must find the right field. The answer is one digit ' +
    'and EOS (a uniform policy is right 1 time in 121). Wrong demonstrations give the pets, both numbers, or an ' +
    'age off by one.',
  alphabet: DIGITS,
  maxLen: 3,
  pool,
  defaultPrompts: 16,
  wrongAnswers(item) {
    const age = Number(item.age);
    const pets = Number(item.pets);
    const near = [String(pets), `${age}${pets}`];
    if (age < 9) near.push(String(age + 1));
    if (age > 1) near.push(String(age - 1));
    return distinct(near, [String(age)]);
  },
  grader: EXACT_MATCH,
  target: { reward: 0.95, steps: 300 },
};
