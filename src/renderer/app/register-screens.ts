import { createElement } from 'react'
import { filesDropped } from '../features/data/csv-intake-service'
import { DataScreen } from '../features/data/data-screen'
import { installWindowFileDrop } from '../features/data/window-file-drop'
import { HistoryScreen } from '../features/history/history-screen'
import { ModelScreen } from '../features/model/model-screen'
import { useParametersAvailability } from '../features/parameters/parameters-availability'
import { ParametersScreen } from '../features/parameters/parameters-screen'
import { ResultsScreen } from '../features/results/results-screen'
import { startRunFeed } from '../features/runs/run-feed'
import { TrainScreen } from '../features/train/train-screen'
import { WelcomeScreen } from '../features/welcome/welcome-screen'
import { registerScreen } from './screen-registry'

// Every screen the app offers, in one place.
registerScreen('welcome', { render: () => createElement(WelcomeScreen), useAvailability: () => ({ open: true }) })
registerScreen('data', { render: () => createElement(DataScreen), useAvailability: () => ({ open: true }) })
registerScreen('model', { render: () => createElement(ModelScreen), useAvailability: () => ({ open: true }) })
registerScreen('parameters', { render: () => createElement(ParametersScreen), useAvailability: useParametersAvailability })
// Train and Results show the open run, or say how to get one; History is always there.
registerScreen('train', { render: () => createElement(TrainScreen), useAvailability: () => ({ open: true }) })
registerScreen('results', { render: () => createElement(ResultsScreen), useAvailability: () => ({ open: true }) })
registerScreen('history', { render: () => createElement(HistoryScreen), useAvailability: () => ({ open: true }) })

// Run statuses and curves stream in from launch, and a reload mid-run comes back to the live run.
startRunFeed()

// A CSV dropped anywhere, on any screen, opens the Data screen with it (and never replaces the app).
installWindowFileDrop((files) => void filesDropped(files))
