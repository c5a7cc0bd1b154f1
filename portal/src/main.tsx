import { StrictMode } from 'react';
import { flushSync } from 'react-dom';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { readEarlyInput } from './early-input';
import './styles.css';

// What was typed into index.html's form is read and the app drawn in one go (flushSync), so no
// keystroke can land in between.
const early = readEarlyInput();
const root = createRoot(document.getElementById('root')!);
flushSync(() =>
  root.render(
    <StrictMode>
      <App early={early} />
    </StrictMode>,
  ),
);
